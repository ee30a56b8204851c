# Build configuration read by the SDK's make scripts (same variables as its example apps).
CONFIG_CHIP_NAME ?= BL602
CONFIG_LINK_ROM := 1
CONFIG_BOARD_FLASH_SIZE := 2

CONFIG_BL_IOT_FW_AP := 1
CONFIG_BL_IOT_FW_AMPDU := 0
CONFIG_BL_IOT_FW_AMSDU := 0
CONFIG_BL_IOT_FW_P2P := 0
CONFIG_BL602_USE_ROM_DRIVER := 1
CONFIG_FREERTOS_TICKLESS_MODE := 0

# No easyflash (PSM): settings live in our own record store (obl_set partition).
CONFIG_EASYFLASH_ENABLE := 0
CONFIG_CLI_CMD_ENABLE := 0

# main() runs obl_app_init() (store scan, config parse) on this task; it is deleted when main returns.
CONFIG_SYS_APP_TASK_STACK_SIZE := 8192
CONFIG_SYS_APP_TASK_PRIORITY := 15
CONFIG_SYS_VFS_ENABLE := 1
# Off: with it on, the SDK start-up opens every UART the device tree enables, and the SDK's default tree
# (bl_factory_params_IoTKitA_40M.dts) puts UART1 on GPIO3/GPIO4: GPIO3 is the BL0937 CF1 input on the
# SM-028 board. Logging does not need it (printf writes UART0 directly).
CONFIG_SYS_VFS_UART_ENABLE := 0
CONFIG_SYS_AOS_CLI_ENABLE := 0
CONFIG_SYS_AOS_LOOP_ENABLE := 1
CONFIG_SYS_BLOG_ENABLE := 1
CONFIG_SYS_DMA_ENABLE := 1
CONFIG_SYS_USER_VFS_ROMFS_ENABLE := 0

CONFIG_BT := 0

# mbedTLS on the SEC engine; port_crypto.c's context-size check follows these.
CONFIG_MBEDTLS_AES_USE_HW := 1
CONFIG_MBEDTLS_BIGNUM_USE_HW := 1
CONFIG_MBEDTLS_ECC_USE_HW := 1
CONFIG_MBEDTLS_SHA1_USE_HW := 1
CONFIG_MBEDTLS_SHA256_USE_HW := 1

# No SDK component logs (blog): with hosal's on, hal_board.c prints the device tree's Wi-Fi "sta"/"ap" SSIDs
# and passwords on UART0 at every boot (the SDK's default tree carries test ones; a tree written by a vendor
# tool may carry real ones). Our own lines come from hal_log (printf), not from blog.
LOG_ENABLED_COMPONENTS :=
