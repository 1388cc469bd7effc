/* SPDX-License-Identifier: BSD-3-Clause
 * The rate features of the ML vector (src_rate, ep_rate, new_source, gap_ms), kept for a whole
 * process by the hp-ml thread (controlplane/ctl_ml.c), which sees every worker's records: with
 * N workers a source's requests are spread over N of them, and a per-worker count would see
 * 1/N of its rate, so a model trained on one worker's figures would read another deployment's
 * differently.
 *
 * Per endpoint: a two-row count-min sketch of source addresses (2 x HP_ML_RATES_W 16-bit
 * counters, saturating) over a ~10 s window (halved every 5 s of request time), and an EWMA of
 * the gap between the endpoint's requests. The records of several workers reach the thread
 * interleaved, not in time order: a request older than the latest one seen has a gap of 0 and
 * does not move the clock back, so the gaps still add up to the time that passed and the
 * EWMA's rate stays right. Times are the requests' (wall or capture clock), in ns.
 *
 * Bounded memory (sizeof(struct hp_ml_rates) per endpoint), no allocation, no system call.
 */
#ifndef HP_ML_RATES_H
#define HP_ML_RATES_H

#include <stdint.h>

#define HP_ML_RATES_W       512 /* counters per sketch row (a power of 2) */
#define HP_ML_RATES_HALF_NS 5000000000ULL

struct hp_ml_rates {
	uint64_t halved_ns; /* request time of the last halving of the sketch */
	uint64_t last_ns;   /* the latest request time seen, 0: none yet */
	double gap_ewma_ns;
	uint32_t gaps; /* gaps seen (the EWMA's first one starts it) */
	uint16_t sketch[2][HP_ML_RATES_W];
};

/* Counts one request of the source whose keyed 64-bit hash is src_hash (each sketch row takes
 * one half), made at t_ns, and writes its four rate features into the vector f
 * (lib/ml/ml_features.h indices). */
void hp_ml_rates_count(struct hp_ml_rates *st, uint64_t src_hash, uint64_t t_ns, float *f);

#endif /* HP_ML_RATES_H */
