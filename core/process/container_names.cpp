#include "container_names.hpp"

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <filesystem>
#include <sstream>

#include "ember/text_file.hpp"

namespace ember {
namespace {

namespace pt = boost::property_tree;

constexpr std::size_t kMaxCached = 4096;

bool parse_json(const std::string& text, pt::ptree& out) {
  try {
    std::istringstream in(text);
    pt::read_json(in, out);
    return true;
  } catch (const pt::json_parser_error&) {
    return false;  // a half-written or foreign file: no name, not an error
  }
}

// A child by a path of keys that may hold '.' and '/' (annotation names do):
// '|' separates them.
std::string child_text(const pt::ptree& tree, const std::string& path) {
  return tree.get<std::string>(pt::ptree::path_type(path, '|'), "");
}

ContainerLabels pod_and_container(const std::string& pod, const std::string& container) {
  if (pod.empty()) return {container, ""};
  if (container.empty()) return {pod, pod};
  return {pod + "/" + container, pod};
}

std::string read_if_present(const std::string& path) {
  std::string text;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return {};
  if (!read_text_file(path, text)) return {};
  return text;
}

}  // namespace

ContainerLabels container_labels_from_docker_config(const std::string& json) {
  pt::ptree tree;
  if (!parse_json(json, tree)) return {};
  ContainerLabels kube =
      pod_and_container(child_text(tree, "Config|Labels|io.kubernetes.pod.name"),
                        child_text(tree, "Config|Labels|io.kubernetes.container.name"));
  if (!kube.name.empty()) return kube;
  std::string name = child_text(tree, "Name");
  if (!name.empty() && name[0] == '/') name.erase(0, 1);
  return {name, ""};
}

ContainerLabels container_labels_from_oci_annotations(const std::string& json) {
  pt::ptree tree;
  if (!parse_json(json, tree)) return {};
  // containerd's CRI plugin, then cri-o's, then nerdctl.
  ContainerLabels labels =
      pod_and_container(child_text(tree, "annotations|io.kubernetes.cri.sandbox-name"),
                        child_text(tree, "annotations|io.kubernetes.cri.container-name"));
  if (labels.name.empty()) {
    labels = pod_and_container(child_text(tree, "annotations|io.kubernetes.pod.name"),
                               child_text(tree, "annotations|io.kubernetes.container.name"));
  }
  if (labels.name.empty()) labels.name = child_text(tree, "annotations|nerdctl/name");
  return labels;
}

ContainerNames::ContainerNames(std::string state_root) : root_(std::move(state_root)) {
  if (!root_.empty() && root_.back() == '/') root_.pop_back();
}

const ContainerLabels& ContainerNames::labels_of(const std::string& container_id) {
  auto found = cache_.find(container_id);
  if (found != cache_.end()) return found->second;
  if (cache_.size() >= kMaxCached) cache_.clear();
  return cache_.emplace(container_id, lookup(container_id)).first->second;
}

ContainerLabels ContainerNames::lookup(const std::string& id) const {
  if (id.empty()) return {};
  ContainerLabels labels = container_labels_from_docker_config(
      read_if_present(root_ + "/var/lib/docker/containers/" + id + "/config.v2.json"));
  if (!labels.name.empty()) return labels;

  // containerd keeps one directory per namespace (k8s.io, moby, default, ...).
  std::error_code error;
  const std::string tasks = root_ + "/run/containerd/io.containerd.runtime.v2.task";
  for (const auto& ns : std::filesystem::directory_iterator(tasks, error)) {
    labels = container_labels_from_oci_annotations(
        read_if_present(ns.path().string() + "/" + id + "/config.json"));
    if (!labels.name.empty()) return labels;
  }

  return container_labels_from_oci_annotations(read_if_present(
      root_ + "/run/containers/storage/overlay-containers/" + id + "/userdata/config.json"));
}

}  // namespace ember
