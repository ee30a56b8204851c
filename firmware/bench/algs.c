/* The list of algorithms in print order: ours first, then the peers of bl0937.md §2. */
#include "alg.h"

const alg_t *const alg_all[] = {&alg_ours, &alg_tasmota, &alg_obk, &alg_esphome_1s, &alg_esphome_60s, &alg_xose, &alg_tuya};
const unsigned alg_count = sizeof alg_all / sizeof alg_all[0];
