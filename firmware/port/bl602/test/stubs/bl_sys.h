/* Host stand-in for the SDK's bl_sys.h (see hal_boot2.h here). */
#ifndef TEST_STUB_BL_SYS_H
#define TEST_STUB_BL_SYS_H
int bl_sys_reset_por(void);
#endif
