/* SPDX-License-Identifier: BSD-3-Clause
 * The reference data of make_reference.py, read by the ML tests (embedded and KServe).
 */
#ifndef HP_ML_TEST_DATA_H
#define HP_ML_TEST_DATA_H

#include <stdio.h>
#include <stdlib.h>

/* DIR/NAME, a file of float32 values, whole; exits on failure. *n: the float count. */
static inline float *
ml_test_slurp(const char *dir, const char *name, size_t *n)
{
	char path[512];
	FILE *f;
	long len;
	float *p;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) <= 0) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	rewind(f);
	p = malloc((size_t)len);
	if (p == NULL || fread(p, 1, (size_t)len, f) != (size_t)len)
		exit(1);
	fclose(f);
	*n = (size_t)len / sizeof(float);
	return p;
}

#endif /* HP_ML_TEST_DATA_H */
