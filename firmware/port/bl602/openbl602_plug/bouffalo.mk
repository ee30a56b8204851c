# The app component: this port (../src) plus every core module folder (../../../core/<module>/*.c),
# picked up the way firmware/core/CMakeLists.txt does it (a module is a folder with a CMakeLists.txt).
# Sources stay in the repository; the SDK only compiles them.
OBL_CORE := $(COMPONENT_PATH)/../../../core
OBL_CORE_MODULES := $(patsubst $(COMPONENT_PATH)/%/,%,$(dir $(wildcard $(OBL_CORE)/*/CMakeLists.txt)))

COMPONENT_SRCDIRS := ../src $(OBL_CORE_MODULES)
COMPONENT_ADD_INCLUDEDIRS :=
# ../include: POSIX socket headers lwIP does not provide (netinet/*), mapped onto lwIP.
COMPONENT_PRIV_INCLUDEDIRS := ../src ../include ../../../core

# The core is C11 and bit-exact on floats across host and target (see firmware/cmake/obl.cmake).
CFLAGS += -std=gnu11 -ffp-contract=off
# The core's socket code (mdns, mqttdev) uses lwIP's own headers when this is set.
CPPFLAGS += -DOBL_LWIP
# Warnings are errors in our code (the SDK only makes -Wall fatal).
CFLAGS += -Wall -Wextra -Werror
# The release version shown in status and compared by HA's update entity (scripts/build-bl602 sets it).
ifdef OBL_FW_VERSION
CPPFLAGS += -DOBL_FW_VERSION=\"$(OBL_FW_VERSION)\"
endif
# Another built-in board profile than SM-028_V1.3 (e.g. SM-028_V1.3-B22), with the OTA board id its images carry.
ifdef OBL_BOARD
CPPFLAGS += -DOBL_BOARD_PROFILE=\"$(OBL_BOARD)\" -DOBL_OTA_BOARD_ID=\"$(OBL_OTA_BOARD)\"
endif
# Our stack-overflow hook (src/port_stack_guard.c) in place of the SDK's, which spins without naming the task.
COMPONENT_ADD_LDFLAGS += -Wl,--wrap=vApplicationStackOverflowHook
