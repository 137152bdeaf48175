// The kernel and userspace must agree on the record layout byte for byte:
// a drift fails the build here instead of corrupting samples at run time.
#include <cstddef>

#include "ember/bpf/sample.h"

static_assert(sizeof(ember_record_header) == 40);
static_assert(offsetof(ember_record_header, time_ns) == 8);
static_assert(offsetof(ember_record_header, pid) == 16);
static_assert(offsetof(ember_record_header, comm) == 24);
static_assert(sizeof(ember_process_event) == 48);
static_assert(sizeof(ember_process_runtime) == 8);
static_assert(sizeof(ember_runtime_frame) == 16);
static_assert(offsetof(ember_sample, cgroup_id) == 40);
static_assert(offsetof(ember_sample, flags) == 48);
static_assert(offsetof(ember_sample, runtime_anchor_count) == 72);
static_assert(offsetof(ember_sample, user_ip) == 80);
static_assert(offsetof(ember_sample, kernel_frames) == 112);
static_assert(offsetof(ember_sample, user_frames) == 112 + 8 * EMBER_MAX_KERNEL_FRAMES);
static_assert(offsetof(ember_sample, user_frame_addresses) ==
              offsetof(ember_sample, user_frames) + 8 * EMBER_MAX_USER_FRAMES);
static_assert(offsetof(ember_sample, runtime_frames) ==
              offsetof(ember_sample, user_frame_addresses) + 8 * EMBER_MAX_USER_FRAMES);
static_assert(offsetof(ember_sample, runtime_anchors) ==
              offsetof(ember_sample, runtime_frames) + 16 * EMBER_MAX_RUNTIME_FRAMES);
static_assert(offsetof(ember_sample, stack_snapshot) ==
              offsetof(ember_sample, runtime_anchors) + 8 * EMBER_MAX_RUNTIME_ANCHORS);
