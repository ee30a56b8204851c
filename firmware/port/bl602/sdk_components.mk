# SDK components the plug links, shared by the Makefile (the real build) and check.sh (compile check).
# Same set as the SDK's bl602_sharedApp example (what OpenBeken ships) minus what we do not use:
# easyflash4 (our record store owns the settings partition), romfs, coredump; plus sntp.
# Needed although we never call them: blmtd and the bloop trio (hosal's OTA and GPIO files use them),
# dns_server (wifi_mgmr.c includes its header), cli (the bl602 component's bfl_main.c includes cli.h).
# wifi4_adapter is 1.6.40's name for wifi_hosal.
OBL_SDK_COMPONENTS := freertos_riscv_ram bl602 bl602_std newlibc \
	wifi wifi_manager wpa_supplicant bl_os_adapter wifi4_adapter blcrypto_suite rfparam_adapter_tmp \
	hosal lwip lwip_dhcpd lwip_altcp_tls_mbedtls mbedtls_lts dns_server vfs yloop utils blog \
	bltime blfdt blmtd bloop looprt loopset sntp cli
