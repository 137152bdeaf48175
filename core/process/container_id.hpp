// Container and pod identity from /proc/PID/cgroup, so profiles can be grouped
// by container and pod. Pure text functions: the caller reads the file.
#pragma once

#include <string>
#include <string_view>

namespace ember {

// The 64-hex container id in the text of /proc/PID/cgroup (v1 lines
// "12:cpu,cpuacct:/docker/<id>" or the v2 line "0::/..."), empty when the
// process runs on the host. Knows docker ("/docker/<id>", "docker-<id>.scope"),
// containerd ("cri-containerd-<id>.scope", "/containerd/<id>",
// "...slice:cri-containerd:<id>"), cri-o ("crio-<id>.scope"), podman
// ("libpod-<id>.scope") and kubepods layouts of both cgroup drivers.
std::string container_id_from_cgroup(std::string_view proc_pid_cgroup_text);

// The Kubernetes pod uid ("pod<uid>" in a kubepods path), with the '_' that
// the systemd cgroup driver uses turned back into '-'; empty when none.
std::string pod_uid_from_cgroup(std::string_view proc_pid_cgroup_text);

}  // namespace ember
