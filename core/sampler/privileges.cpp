#include "privileges.hpp"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace ember {
namespace {

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool has_effective(std::uint64_t effective, int capability) {
  return (effective >> capability) & 1;
}

}  // namespace

std::string missing_privileges() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return "cannot read this process' capabilities";
  std::uint64_t effective = data[0].effective | (std::uint64_t(data[1].effective) << 32);

  bool bpf = has_effective(effective, CAP_BPF) || has_effective(effective, CAP_SYS_ADMIN);
  bool perfmon = has_effective(effective, CAP_PERFMON) || has_effective(effective, CAP_SYS_ADMIN);
  if (bpf && perfmon) return {};

  std::string missing;
  if (!bpf) missing += "CAP_BPF";
  if (!perfmon) missing += missing.empty() ? "CAP_PERFMON" : " and CAP_PERFMON";
  return "ember needs root, or the CAP_BPF and CAP_PERFMON capabilities, to load its BPF "
         "sampler (missing: " +
         missing +
         "). Run it as root (sudo), or grant them: sudo setcap "
         "cap_bpf,cap_perfmon,cap_sys_ptrace,cap_dac_read_search+ep $(command -v ember)";
}

}  // namespace ember
