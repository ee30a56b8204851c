/* posix_io.h — the POSIX port's HAL time and GPIO (hal_time_*, hal_gpio_*), plus the hooks the simulated
 * plug and the tests use to play the outside world: inject input levels and edges, watch output pins, and
 * run the clock faster than real time or by hand.
 *
 * Time: hal_time_us64() is CLOCK_MONOTONIC since the first call (starting at 1 µs) times a scale factor
 * (1.0 = real time; 60.0 = a simulated hour per real minute). In manual mode it moves only when told
 * (posix_io_time_advance / posix_io_sleep_us), for deterministic tests. It never goes backwards.
 *
 * GPIO: 32 simulated pins. An input reads what was injected, else its pull (pull-up → high). Edge handlers
 * run on the injecting thread, like an ISR: the core's handlers only store the timestamp. All calls are
 * thread-safe. */
#ifndef OBL_POSIX_IO_H
#define OBL_POSIX_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

#ifdef __cplusplus
extern "C" {
#endif

#define POSIX_IO_PINS 32u

/* ---- time ---- */
/* Simulated µs per real µs, > 0. Takes effect from now on; time stays continuous. */
void posix_io_time_set_scale(double scale);
double posix_io_time_scale(void);
/* Manual clock: hal_time_us64() freezes and moves only through posix_io_time_advance/posix_io_sleep_us. */
void posix_io_time_set_manual(bool manual);
/* Jumps the clock forward by us (either mode). */
void posix_io_time_advance(uint64_t us);
/* Sleeps `us` of simulated time: us / scale real µs, or in manual mode advances the clock and returns. */
void posix_io_sleep_us(uint64_t us);
/* Wall clock at simulated time 0 (Unix seconds); default: time(NULL) at the first call. */
void posix_io_time_set_unix_base(uint64_t unix_s);

/* ---- GPIO: the outside world's side ---- */
/* Drives an input pin to level (the button). Runs the pin's edge handler if the level changed and the edge
 * matches, with the current time. false if the pin is an output or out of range. */
bool posix_io_set_input(uint8_t pin, bool level);
/* Stops driving an input pin: it reads its pull again (may fire an edge). */
bool posix_io_release_input(uint8_t pin);
/* An edge at time t_us (hal_time_us64 clock) on an input pin, e.g. a BL0937 CF pulse: sets the level to
 * `rising` and runs the handler with (uint32_t)t_us if it listens to that edge, even if the level was
 * already there (pulses can be shorter than anything the simulator samples). */
bool posix_io_edge(uint8_t pin, bool rising, uint64_t t_us);

/* The level the firmware drives on an output pin (false when the pin is not an output). */
bool posix_io_output(uint8_t pin);
bool posix_io_is_output(uint8_t pin);
bool posix_io_is_input(uint8_t pin);
hal_pull_t posix_io_pull(uint8_t pin);
/* Levels an output pin has taken since reset: 1 after hal_gpio_output(), +1 per real change. A relay that
 * booted straight at its final level and never moved reads 1 (the no-glitch check). */
uint32_t posix_io_output_changes(uint8_t pin);
/* Called (on the firmware's thread, outside any lock) whenever an output pin's level changes or a pin is
 * configured as an output. NULL removes it. */
typedef void (*posix_io_output_cb_t)(void *ctx, uint8_t pin, bool level, uint64_t t_us);
void posix_io_on_output(posix_io_output_cb_t cb, void *ctx);
/* Forgets every pin's configuration, levels, handlers and counters (tests). Time is not touched. */
void posix_io_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* OBL_POSIX_IO_H */
