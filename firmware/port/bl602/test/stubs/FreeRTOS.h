/* Host stand-in: port_flash.c only asks whether the scheduler runs (it does not, here). */
#ifndef TEST_STUB_FREERTOS_H
#define TEST_STUB_FREERTOS_H
#define taskSCHEDULER_RUNNING 2
static inline int xTaskGetSchedulerState(void) { return 0; }
#define taskYIELD() ((void)0)
#endif
