/* Supervisor: watchdog fed only while all tasks check in; boot-loop counting; safe mode; reset reasons. */
#include "fake_hal.h"
#include "supervisor/supervisor.h"
#include "unit.h"

#define MS 1000ull
#define SEC 1000000ull

static store_t st;
static supervisor_t sup;

static void power_up(void) { fake_hal_reset(); }

/* One boot with reset reason r; the supervisor's view after supervisor_boot. */
static void boot(hal_reset_reason_t r) {
  fake_flash_power_on();
  fake_set_reset_reason(r);
  CHECK_EQ_INT(store_mount(&st, HAL_PART_SETTINGS, 0, FAKE_SETTINGS_SIZE), STORE_OK);
  CHECK_EQ_INT(supervisor_boot(&sup, &st, NULL, 0), STORE_OK);
}

/* Runs both tasks healthy for `s` seconds in 100 ms steps. */
static void run_healthy(uint64_t from_us, uint32_t seconds) {
  for (uint64_t t = from_us; t <= from_us + seconds * SEC; t += 100 * MS) {
    supervisor_checkin(&sup, SUP_TASK_MAIN);
    supervisor_checkin(&sup, SUP_TASK_NET);
    supervisor_poll(&sup, t);
  }
}

static void test_watchdog_started_and_fed_while_all_alive(void) {
  power_up();
  boot(HAL_RESET_POWER_ON);
  CHECK_EQ_INT(fake_watchdog_timeout_ms(), 8000);
  run_healthy(0, 2);
  CHECK(fake_watchdog_feeds() >= 20);
}

static void test_hung_net_task_stops_feeding(void) {
  power_up();
  boot(HAL_RESET_POWER_ON);
  run_healthy(0, 1);
  uint32_t feeds = fake_watchdog_feeds();
  uint64_t t = 1 * SEC;
  for (; t < 6 * SEC; t += 100 * MS) { /* net silent, main fine */
    supervisor_checkin(&sup, SUP_TASK_MAIN);
    supervisor_poll(&sup, t);
  }
  uint32_t fed_during_hang = fake_watchdog_feeds() - feeds;
  CHECK(fed_during_hang <= 41); /* fed only during the 4 s grace (stall_ms) */
  CHECK_EQ_INT(sup.stalled_task, SUP_TASK_NET);
  feeds = fake_watchdog_feeds();
  for (; t < 9 * SEC; t += 100 * MS) {
    supervisor_checkin(&sup, SUP_TASK_MAIN);
    supervisor_poll(&sup, t);
  }
  CHECK_EQ_INT(fake_watchdog_feeds(), feeds); /* the hardware watchdog (8 s) will bite */
  /* After the reset, the culprit is reported. */
  boot(HAL_RESET_WATCHDOG);
  CHECK_EQ_INT(sup.reset_task, SUP_TASK_NET);
  CHECK_STR(supervisor_task_name(sup.reset_task), "net");
  CHECK_STR(supervisor_reset_reason_name(sup.reset_reason), "watchdog");
}

static void test_hung_main_loop_stops_feeding(void) {
  power_up();
  boot(HAL_RESET_POWER_ON);
  run_healthy(0, 1);
  uint32_t feeds = fake_watchdog_feeds();
  /* main silent (e.g. stuck in a driver but a timer still polls): no feed after the grace period */
  for (uint64_t t = 1 * SEC; t < 10 * SEC; t += 100 * MS) {
    supervisor_checkin(&sup, SUP_TASK_NET);
    supervisor_poll(&sup, t);
  }
  CHECK(fake_watchdog_feeds() - feeds <= 41);
  CHECK_EQ_INT(sup.stalled_task, SUP_TASK_MAIN);
}

static void test_recovered_task_feeds_again(void) {
  power_up();
  boot(HAL_RESET_POWER_ON);
  supervisor_poll(&sup, 5 * SEC); /* both silent */
  CHECK(sup.stalled_task != SUP_NO_TASK);
  uint32_t feeds = fake_watchdog_feeds();
  run_healthy(5 * SEC + 100 * MS, 1);
  CHECK(fake_watchdog_feeds() > feeds);
  CHECK_EQ_INT(sup.stalled_task, SUP_NO_TASK);
}

static void crash_boots(int n) {
  for (int i = 0; i < n; i++) {
    boot(i == 0 ? HAL_RESET_POWER_ON : HAL_RESET_EXCEPTION);
    run_healthy(0, 5); /* dies at 5 s, before the 30 s mark */
  }
}

static void test_four_bad_boots_enter_safe_mode(void) {
  power_up();
  crash_boots(5); /* first boot from power-on, then it crashes: boots 1..5 each die early */
  boot(HAL_RESET_WATCHDOG);
  CHECK(supervisor_safe_mode(&sup));
  CHECK(sup.bad_boots >= 4);
}

static void test_three_bad_boots_are_not_enough(void) {
  power_up();
  crash_boots(3);
  boot(HAL_RESET_EXCEPTION);
  CHECK_EQ_INT(sup.bad_boots, 3);
  CHECK(!supervisor_safe_mode(&sup));
}

static void test_good_boot_resets_the_count(void) {
  power_up();
  crash_boots(3);
  boot(HAL_RESET_EXCEPTION);
  run_healthy(0, 31);
  CHECK(sup.boot_good);
  boot(HAL_RESET_EXCEPTION); /* crash long after the 30 s mark: not a boot loop */
  CHECK_EQ_INT(sup.bad_boots, 0);
  CHECK(!supervisor_safe_mode(&sup));
}

static void test_controlled_reboots_never_count(void) {
  power_up();
  for (int i = 0; i < 6; i++) {
    boot(i == 0 ? HAL_RESET_POWER_ON : HAL_RESET_SOFTWARE);
    run_healthy(0, 2);
    CHECK_EQ_INT(supervisor_prepare_reboot(&sup), STORE_OK);
  }
  boot(HAL_RESET_SOFTWARE);
  CHECK_EQ_INT(sup.bad_boots, 0);
  CHECK(!supervisor_safe_mode(&sup));
}

static void test_safe_mode_until_command_or_power_cycle(void) {
  power_up();
  crash_boots(5);
  boot(HAL_RESET_EXCEPTION);
  CHECK(supervisor_safe_mode(&sup));
  run_healthy(0, 40); /* a safe-mode boot that runs fine is not a normal good boot */
  CHECK_EQ_INT(supervisor_prepare_reboot(&sup), STORE_OK);
  boot(HAL_RESET_SOFTWARE);
  CHECK(supervisor_safe_mode(&sup));
  /* the command */
  CHECK_EQ_INT(supervisor_leave_safe_mode(&sup), STORE_OK);
  boot(HAL_RESET_SOFTWARE);
  CHECK(!supervisor_safe_mode(&sup));
  /* back into safe mode, then out by a power cycle */
  crash_boots(5);
  boot(HAL_RESET_EXCEPTION);
  CHECK(supervisor_safe_mode(&sup));
  boot(HAL_RESET_POWER_ON);
  CHECK(!supervisor_safe_mode(&sup));
}

static void test_safe_mode_by_command(void) {
  power_up();
  boot(HAL_RESET_POWER_ON);
  CHECK_EQ_INT(supervisor_enter_safe_mode(&sup), STORE_OK);
  CHECK_EQ_INT(supervisor_prepare_reboot(&sup), STORE_OK);
  boot(HAL_RESET_SOFTWARE);
  CHECK(supervisor_safe_mode(&sup));
  CHECK_EQ_INT(supervisor_leave_safe_mode(&sup), STORE_OK);
  boot(HAL_RESET_SOFTWARE);
  CHECK(!supervisor_safe_mode(&sup));
}

/* Issue #12 finding 5: a network task stalled by the network (a DNS outage on a blocking port, a broker that
 * hangs a send) while the main loop kept metering and protecting is not the firmware failing to boot: such
 * watchdog resets never add up to safe mode. A stalled main loop still does. */
static void test_network_stall_is_never_a_bad_boot(void) {
  power_up();
  boot(HAL_RESET_POWER_ON);
  for (int i = 0; i < 6; i++) {
    uint64_t t = 0;
    for (; t < 10 * SEC; t += 100 * MS) { /* net silent from the start, main fine */
      supervisor_checkin(&sup, SUP_TASK_MAIN);
      supervisor_poll(&sup, t);
    }
    boot(HAL_RESET_WATCHDOG);
    CHECK_EQ_INT(sup.reset_task, SUP_TASK_NET);
    CHECK(!supervisor_safe_mode(&sup));
  }
  CHECK_EQ_INT(sup.bad_boots, 0);
  for (int i = 0; i < 4; i++) { /* the main loop hanging is a bad boot */
    for (uint64_t t = 0; t < 10 * SEC; t += 100 * MS) {
      supervisor_checkin(&sup, SUP_TASK_NET);
      supervisor_poll(&sup, t);
    }
    boot(HAL_RESET_WATCHDOG);
  }
  CHECK(supervisor_safe_mode(&sup));
}

static void test_boot_count_and_reason_names(void) {
  power_up();
  boot(HAL_RESET_POWER_ON);
  boot(HAL_RESET_BROWNOUT);
  CHECK_EQ_INT(sup.boot_count, 2);
  CHECK_STR(supervisor_reset_reason_name(HAL_RESET_POWER_ON), "power_on");
  CHECK_STR(supervisor_reset_reason_name(HAL_RESET_SOFTWARE), "software");
  CHECK_STR(supervisor_reset_reason_name(HAL_RESET_EXCEPTION), "exception");
  CHECK_STR(supervisor_reset_reason_name(sup.reset_reason), "brownout");
}

static void test_storage_failure_still_supervises(void) {
  power_up();
  fake_set_reset_reason(HAL_RESET_POWER_ON);
  CHECK_EQ_INT(store_mount(&st, HAL_PART_SETTINGS, 0, FAKE_SETTINGS_SIZE), STORE_OK);
  fake_flash_power_off();
  CHECK(supervisor_boot(&sup, &st, NULL, 0) != STORE_OK);
  CHECK(!supervisor_safe_mode(&sup));
  CHECK_EQ_INT(fake_watchdog_timeout_ms(), 8000);
  run_healthy(0, 1);
  CHECK(fake_watchdog_feeds() > 0);
}

int main(void) {
  RUN(test_watchdog_started_and_fed_while_all_alive);
  RUN(test_hung_net_task_stops_feeding);
  RUN(test_hung_main_loop_stops_feeding);
  RUN(test_recovered_task_feeds_again);
  RUN(test_four_bad_boots_enter_safe_mode);
  RUN(test_three_bad_boots_are_not_enough);
  RUN(test_good_boot_resets_the_count);
  RUN(test_controlled_reboots_never_count);
  RUN(test_safe_mode_until_command_or_power_cycle);
  RUN(test_safe_mode_by_command);
  RUN(test_network_stall_is_never_a_bad_boot);
  RUN(test_boot_count_and_reason_names);
  RUN(test_storage_failure_still_supervises);
  return unit_report();
}
