// Container names from the container runtimes' own state files, read where
// the runtime keeps them (under `state_root`, "/" on the host; a DaemonSet
// mounts the host's directories there):
//   docker      var/lib/docker/containers/<id>/config.v2.json   "Name", or the
//               Kubernetes labels when dockershim ran it
//   containerd  run/containerd/io.containerd.runtime.v2.task/<namespace>/<id>/config.json
//               annotations (CRI: sandbox and container name; nerdctl/name)
//   cri-o       run/containers/storage/overlay-containers/<id>/userdata/config.json
//               annotations
// Kubernetes containers are named "<pod>/<container>" (a container name alone,
// "app", repeats across pods). Answers are cached per id, misses included.
#pragma once

#include <string>
#include <unordered_map>

namespace ember {

class ContainerNames {
 public:
  explicit ContainerNames(std::string state_root = "/");

  // The container's name, or "" when no runtime's state names it.
  const std::string& name_of(const std::string& container_id);

 private:
  std::string lookup(const std::string& id) const;

  std::string root_;
  std::unordered_map<std::string, std::string> cache_;
};

// The name in one state file's JSON text (exposed for tests); "" if none.
std::string container_name_from_docker_config(const std::string& json);
std::string container_name_from_oci_annotations(const std::string& json);

}  // namespace ember
