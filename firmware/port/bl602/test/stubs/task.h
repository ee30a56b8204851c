/* Host stand-in: see FreeRTOS.h here. */
