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
// "app", repeats across pods), and their pod name is kept apart too. Answers
// are cached per id, misses included.
#pragma once

#include <string>
#include <unordered_map>

namespace ember {

// What a runtime's state file says of one container; "" where it says nothing.
struct ContainerLabels {
  std::string name;  // "<pod>/<container>" under Kubernetes
  std::string pod;   // the Kubernetes pod's name
};

class ContainerNames {
 public:
  explicit ContainerNames(std::string state_root = "/");

  // The container's name, or "" when no runtime's state names it.
  const std::string& name_of(const std::string& container_id) {
    return labels_of(container_id).name;
  }
  // Its Kubernetes pod's name, or "".
  const std::string& pod_of(const std::string& container_id) {
    return labels_of(container_id).pod;
  }

 private:
  const ContainerLabels& labels_of(const std::string& container_id);
  ContainerLabels lookup(const std::string& id) const;

  std::string root_;
  std::unordered_map<std::string, ContainerLabels> cache_;
};

// The labels in one state file's JSON text (exposed for tests).
ContainerLabels container_labels_from_docker_config(const std::string& json);
ContainerLabels container_labels_from_oci_annotations(const std::string& json);
inline std::string container_name_from_docker_config(const std::string& json) {
  return container_labels_from_docker_config(json).name;
}
inline std::string container_name_from_oci_annotations(const std::string& json) {
  return container_labels_from_oci_annotations(json).name;
}

}  // namespace ember
