/* SPDX-License-Identifier: BSD-3-Clause
 * The rate features of the ML vector (see ml_rates.h).
 */
#include <math.h>

#include "ml_features.h"
#include "ml_rates.h"

_Static_assert(HP_MLF_EP_RATE == HP_MLF_SRC_RATE + 1 && HP_MLF_NEW_SOURCE == HP_MLF_SRC_RATE + 2 &&
		       HP_MLF_GAP_MS == HP_MLF_SRC_RATE + 3,
	       "the rate features are consecutive (HP_MLF_RATES_FIRST, HP_ML_N_RATES)");

static uint16_t
min16(uint16_t a, uint16_t b)
{
	return a < b ? a : b;
}

void
hp_ml_rates_count(struct hp_ml_rates *st, uint64_t src_hash, uint64_t t_ns, float *f)
{
	uint16_t *a = &st->sketch[0][src_hash & (HP_ML_RATES_W - 1)];
	uint16_t *b = &st->sketch[1][(src_hash >> 32) & (HP_ML_RATES_W - 1)];
	uint16_t before;

	/* halved once per 5 s that passed since the last halving (after a quiet minute every
	 * source is new again); a signed age: a request older than the last halving (another
	 * worker's, late) halves nothing */
	if ((int64_t)(t_ns - st->halved_ns) >= (int64_t)HP_ML_RATES_HALF_NS) {
		uint64_t halves = (t_ns - st->halved_ns) / HP_ML_RATES_HALF_NS;
		unsigned int sh = halves >= 16 ? 16 : (unsigned int)halves;

		for (unsigned int r = 0; r < 2; r++)
			for (unsigned int i = 0; i < HP_ML_RATES_W; i++)
				st->sketch[r][i] = (uint16_t)((uint32_t)st->sketch[r][i] >> sh);
		st->halved_ns = t_ns;
	}
	before = min16(*a, *b);
	if (*a != UINT16_MAX)
		(*a)++;
	if (*b != UINT16_MAX)
		(*b)++;
	f[HP_MLF_SRC_RATE] = (float)min16(*a, *b);
	f[HP_MLF_NEW_SOURCE] = before == 0 ? 1.0f : 0.0f;
	if (st->last_ns == 0) {
		f[HP_MLF_GAP_MS] = NAN;
	} else {
		double gap = t_ns > st->last_ns ? (double)(t_ns - st->last_ns) : 0.0;

		st->gap_ewma_ns = st->gaps++ == 0 ? gap : 0.9 * st->gap_ewma_ns + 0.1 * gap;
		f[HP_MLF_GAP_MS] = (float)(gap / 1e6);
	}
	/* no gap yet: 0; gaps that average below 1 us (a burst at one instant) read as 1 M/s */
	f[HP_MLF_EP_RATE] =
		st->gaps == 0 ? 0.0f
			      : (float)(1e9 / (st->gap_ewma_ns > 1e3 ? st->gap_ewma_ns : 1e3));
	if (t_ns > st->last_ns)
		st->last_ns = t_ns;
}
