// The thread that drains the ring buffer and closes windows runs above the
// load it measures: beside hundreds of busy threads at normal priority it
// would get a sliver of a CPU, windows would close seconds late and the ring
// buffer would overflow. Only that thread: nothing it starts (sink threads,
// a plugin's trial process, a launched command) inherits the priority
// (SCHED_RESET_ON_FORK).
#pragma once

#include <sys/types.h>

#include <string>

#include "ember/status.hpp"

namespace ember {

// Gives the calling thread `priority` ([agent] priority): "realtime" is
// SCHED_FIFO at priority 1, above every normal thread and below every other
// real-time one (and, like all real-time threads, held to the kernel's
// real-time throttle, 95% of a CPU by default); "high" is nice -10; "normal"
// puts the thread back as any other. An error (no CAP_SYS_NICE) says what to
// do; the thread then stays as it was.
Status set_reader_priority(const std::string& priority);

// The same for the thread that only copies records off the ring buffer,
// except that "realtime" is SCHED_FIFO priority 2: one above the worker, so
// that the worker's attaching, probing and naming never keep it from the
// CPU (SCHED_FIFO threads of one level run until they block). "high" and
// "normal" are as for the worker.
Status set_ring_reader_priority(const std::string& priority);

// For each sink's thread: not time-critical, but not to be starved either
// (under 500 busy threads at normal priority one window took the store 5 to
// 10 s to write): nice -10 unless `priority` is "normal" (nice 0). Any
// thread may set it for `thread` (a thread id), as a reload does. Best effort
// and silent: without CAP_SYS_NICE the reader's warning already said so.
void set_helper_priority(pid_t thread, const std::string& priority);

// set_reader_priority, logged: what the thread got, or a warning saying why
// not. Called first thing on the thread that will read (the agent's start
// runs there too, and is as starved under load as the reading).
void apply_reader_priority(const std::string& priority);

}  // namespace ember
