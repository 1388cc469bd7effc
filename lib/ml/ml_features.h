/* SPDX-License-Identifier: BSD-3-Clause
 * The feature vector of a request (version HP_ML_FEATURES_VERSION): what the ml stage
 * (dataplane/dp_stage_ml.c) computes per request and every model hookpath loads takes, in
 * this order. One line each: symbol, stable name (the training scripts' column names, the
 * events' "ml.features" keys), what it is. A change of meaning or order is a new version:
 * models trained on another version are refused at load (their feature count or names
 * differ).
 */
#ifndef HP_ML_FEATURES_H
#define HP_ML_FEATURES_H

#define HP_ML_FEATURES_VERSION 1

#define foreach_hp_ml_feature(_)                                                                   \
	_(ENDPOINT, endpoint, "index of the endpoint in the configuration")                        \
	_(PROVIDER, provider, "signature scheme of the endpoint (enum hp_provider)")               \
	_(BODY_LEN, body_len, "body bytes")                                                        \
	_(N_HEADERS, n_headers, "header fields")                                                   \
	_(JSON_DEPTH, json_depth, "deepest nesting of objects and arrays (0: not JSON)")           \
	_(JSON_KEYS, json_keys, "object keys in the whole body")                                   \
	_(PII_MATCHES, pii_matches, "PII matches, every entity (NaN: not scanned)")                \
	_(PII_ENTITIES, pii_entities, "distinct PII entities matched (NaN: not scanned)")          \
	_(TS_SKEW_S, ts_skew_s, "now minus the signed timestamp, seconds (NaN: none signed)")      \
	_(VERIFIED, verified, "1: a signature verified, 0: the endpoint verifies nothing")         \
	_(HAS_ID, has_id, "1: the request carries the provider's delivery id")                     \
	_(SRC_RATE, src_rate, "requests of this source address in the last ~10 s (sketch)")        \
	_(EP_RATE, ep_rate, "requests per second to this endpoint (EWMA)")                         \
	_(NEW_SOURCE, new_source, "1: no request from this address in the last ~10 s")             \
	_(GAP_MS, gap_ms, "milliseconds since the endpoint's previous request")                    \
	_(HOUR, hour, "hour of the day, UTC")

enum hp_ml_feature {
#define _(sym, name, help) HP_MLF_##sym,
	foreach_hp_ml_feature(_)
#undef _
		HP_ML_N_FEATURES,
};

/* The rate features (src_rate, ep_rate, new_source, gap_ms), consecutive: the hp-ml thread
 * computes them for all workers (ml_rates.h), the worker leaves them NaN. */
#define HP_MLF_RATES_FIRST HP_MLF_SRC_RATE
#define HP_ML_N_RATES      4

#endif /* HP_ML_FEATURES_H */
