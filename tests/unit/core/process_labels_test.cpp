// Container names from runtime state files (in the layouts docker,
// containerd and cri-o write), environment fallbacks and [[service]] rules.
#include "process/process_labels.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "process/container_names.hpp"
#include "scratch_dir.hpp"

namespace ember {
namespace {

namespace fs = std::filesystem;

const std::string kId = "3f2b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b";
const std::string kOther = std::string(64, 'c');

// A scratch directory to lay out runtime state files and /proc entries in.
class TempDir {
 public:
  void write(const std::string& relative, const std::string& text) const {
    fs::create_directories((dir_.path() / relative).parent_path());
    std::ofstream(dir_.path() / relative) << text;
  }
  std::string str() const { return dir_.path().string(); }

 private:
  test::ScratchDir dir_{"ember-labels"};
};

TEST(ContainerNamesTest, DockerConfig) {
  EXPECT_EQ(container_name_from_docker_config(
                R"({"ID":"x","Name":"/shop-api","Config":{"Env":["A=1","B=2"],"Labels":{}}})"),
            "shop-api");
  // dockershim (Kubernetes on docker) labels win over the generated name.
  EXPECT_EQ(container_name_from_docker_config(
                R"({"Name":"/k8s_api_shop-7d9f_default_uid_0","Config":{"Labels":{)"
                R"("io.kubernetes.pod.name":"shop-7d9f","io.kubernetes.container.name":"api"}}})"),
            "shop-7d9f/api");
  EXPECT_EQ(container_name_from_docker_config(R"({"Name":"/half)"), "");  // truncated
  EXPECT_EQ(container_name_from_docker_config(""), "");
}

TEST(ContainerNamesTest, OciAnnotations) {
  EXPECT_EQ(container_name_from_oci_annotations(
                R"({"ociVersion":"1.0.2","annotations":{"io.kubernetes.cri.container-type":)"
                R"("container","io.kubernetes.cri.sandbox-name":"web-0",)"
                R"("io.kubernetes.cri.container-name":"nginx"}})"),
            "web-0/nginx");
  EXPECT_EQ(
      container_name_from_oci_annotations(R"({"annotations":{"io.kubernetes.pod.name":"db-1",)"
                                          R"("io.kubernetes.container.name":"postgres"}})"),
      "db-1/postgres");
  EXPECT_EQ(container_name_from_oci_annotations(R"({"annotations":{"nerdctl/name":"redis"}})"),
            "redis");
  EXPECT_EQ(container_name_from_oci_annotations(R"({"annotations":{}})"), "");
}

TEST(ContainerNamesTest, PodNamesApartFromContainerNames) {
  EXPECT_EQ(container_labels_from_oci_annotations(
                R"({"annotations":{"io.kubernetes.cri.sandbox-name":"web-0",)"
                R"("io.kubernetes.cri.container-name":"nginx"}})")
                .pod,
            "web-0");
  EXPECT_EQ(container_labels_from_oci_annotations(R"({"annotations":{"nerdctl/name":"redis"}})")
                .pod,
            "");
  ContainerLabels docker = container_labels_from_docker_config(
      R"({"Name":"/k8s_api_shop","Config":{"Labels":{"io.kubernetes.pod.name":"shop-7d9f",)"
      R"("io.kubernetes.container.name":"api"}}})");
  EXPECT_EQ(docker.name, "shop-7d9f/api");
  EXPECT_EQ(docker.pod, "shop-7d9f");
  EXPECT_EQ(container_labels_from_docker_config(R"({"Name":"/biggest"})").pod, "");
}

TEST(ContainerNamesTest, FindsEachRuntimesStateFileUnderTheRoot) {
  TempDir root;
  root.write("var/lib/docker/containers/" + kId + "/config.v2.json", R"({"Name":"/biggest"})");
  root.write("run/containerd/io.containerd.runtime.v2.task/k8s.io/" + kOther + "/config.json",
             R"({"annotations":{"io.kubernetes.cri.sandbox-name":"p",)"
             R"("io.kubernetes.cri.container-name":"c"}})");
  const std::string crio = std::string(64, 'd');
  root.write(
      "run/containers/storage/overlay-containers/" + crio + "/userdata/config.json",
      R"({"annotations":{"io.kubernetes.pod.name":"q","io.kubernetes.container.name":"r"}})");
  ContainerNames names(root.str() + "/");
  EXPECT_EQ(names.name_of(kId), "biggest");
  EXPECT_EQ(names.name_of(kOther), "p/c");
  EXPECT_EQ(names.name_of(crio), "q/r");
  EXPECT_EQ(names.name_of(std::string(64, 'e')), "");
  EXPECT_EQ(names.name_of(""), "");
  EXPECT_EQ(names.pod_of(kOther), "p");
  EXPECT_EQ(names.pod_of(crio), "q");
  EXPECT_EQ(names.pod_of(kId), "");
}

TEST(ProcessLabelsTest, EnvironmentValue) {
  std::string environ("PATH=/bin\0HOSTNAME=web-0\0HOST=x\0EMPTY=\0", 37);
  EXPECT_EQ(environment_value(environ, "HOSTNAME"), "web-0");
  EXPECT_EQ(environment_value(environ, "HOST"), "x");
  EXPECT_EQ(environment_value(environ, "EMPTY"), "");
  EXPECT_EQ(environment_value(environ, "PATH"), "/bin");
  EXPECT_EQ(environment_value(environ, "NOPE"), "");
  EXPECT_EQ(environment_value("", "HOSTNAME"), "");
}

ServiceRule rule(std::string name, std::string exe, std::string cmdline, std::string container) {
  return ServiceRule{std::move(name), std::move(exe), std::move(cmdline), std::move(container), ""};
}

TEST(ProcessLabelsTest, ServiceRulesFirstMatchWinsAndEveryGivenRegexMustMatch) {
  ServiceRules rules({rule("BiggestNumbers", "python3", "biggest_numbers\\.py", ""),
                      rule("AnyPython", "python3", "", ""), rule("Shop", "", "", "^shop-"),
                      rule("Broken", "([", "", "")});
  ProcessInfo app{};
  app.exe = "/usr/bin/python3.11";
  app.cmdline = "python3 examples/biggest_numbers.py --port 8000";
  EXPECT_EQ(rules.service_of(app), "BiggestNumbers");
  app.cmdline = "python3 other.py";
  EXPECT_EQ(rules.service_of(app), "AnyPython");

  ProcessInfo shop{};
  shop.exe = "/app/server";
  shop.container_id = kId;
  shop.container_name = "shop-api";
  EXPECT_EQ(rules.service_of(shop), "Shop");
  shop.container_name = "";
  EXPECT_EQ(rules.service_of(shop), "");  // the id does not start with "shop-"
  ProcessInfo host{};
  host.exe = "/usr/sbin/sshd";
  EXPECT_EQ(rules.service_of(host), "");

  ServiceRules by_id({rule("ById", "", "", kId.substr(0, 12))});
  EXPECT_EQ(by_id.service_of(shop), "ById");
}

TEST(ProcessLabelsTest, LabelerUsesStateFilesThenEnvironment) {
  TempDir state;
  state.write("var/lib/docker/containers/" + kId + "/config.v2.json", R"({"Name":"/biggest"})");
  TempDir proc;
  proc.write("10/environ", std::string("HOSTNAME=3f2b5c6d7e8f\0OTEL_SERVICE_NAME=checkout\0", 50));
  proc.write("11/environ", std::string("HOSTNAME=web-0\0DD_SERVICE=frontend\0", 36));
  proc.write("12/environ", std::string("HOSTNAME=laptop\0", 16));
  Config config;
  config.container_state_root = state.str();
  config.services = {rule("Biggest", "", "", "^biggest$")};
  ProcessLabeler labeler(config, proc.str());

  ProcessInfo named{};
  named.pid = 10;
  named.container_id = kId;
  labeler.label(named);
  EXPECT_EQ(named.container_name, "biggest");
  EXPECT_EQ(named.service, "Biggest");  // the rule beats OTEL_SERVICE_NAME

  ProcessInfo pod{};
  pod.pid = 11;
  pod.container_id = kOther;  // no state file: the pod's HOSTNAME
  labeler.label(pod);
  EXPECT_EQ(pod.container_name, "web-0");
  EXPECT_EQ(pod.service, "frontend");

  ProcessInfo docker_default{};
  docker_default.pid = 10;
  docker_default.container_id = std::string("3f2b5c6d7e8f") + std::string(52, '0');
  labeler.label(docker_default);
  EXPECT_EQ(docker_default.container_name, "");  // HOSTNAME is just the short id
  EXPECT_EQ(docker_default.service, "checkout");

  ProcessInfo host{};
  host.pid = 12;
  labeler.label(host);
  EXPECT_EQ(host.container_name, "");  // HOSTNAME on the host is no container name
  EXPECT_EQ(host.service, "");
  EXPECT_EQ(host.pod_name, "");  // nor a pod name
}

TEST(ProcessLabelsTest, PodNameFromStateFilesElseHostnameButNotTheNodes) {
  TempDir state;
  state.write("run/containerd/io.containerd.runtime.v2.task/k8s.io/" + kOther + "/config.json",
              R"({"annotations":{"io.kubernetes.cri.sandbox-name":"shop-7d9f",)"
              R"("io.kubernetes.cri.container-name":"api"}})");
  char node[256] = {};
  ASSERT_EQ(gethostname(node, sizeof(node) - 1), 0);
  TempDir proc;
  proc.write("20/environ", std::string("HOSTNAME=other\0", 15));
  proc.write("21/environ", std::string("HOSTNAME=web-0\0", 15));
  proc.write("22/environ", "HOSTNAME=" + std::string(node) + std::string(1, '\0'));
  Config config;
  config.container_state_root = state.str();
  ProcessLabeler labeler(config, proc.str());

  ProcessInfo stated{};
  stated.pid = 20;
  stated.container_id = kOther;
  stated.pod_uid = "0d3a1e9c-8f5b-4c2d-9e7f-1a2b3c4d5e6f";
  labeler.label(stated);
  EXPECT_EQ(stated.pod_name, "shop-7d9f");  // the state file wins over HOSTNAME

  ProcessInfo unstated{};
  unstated.pid = 21;
  unstated.container_id = std::string(64, 'f');
  unstated.pod_uid = "1d3a1e9c-8f5b-4c2d-9e7f-1a2b3c4d5e6f";
  labeler.label(unstated);
  EXPECT_EQ(unstated.pod_name, "web-0");

  ProcessInfo host_network{};
  host_network.pid = 22;
  host_network.container_id = std::string(64, 'a');
  host_network.pod_uid = "2d3a1e9c-8f5b-4c2d-9e7f-1a2b3c4d5e6f";
  labeler.label(host_network);
  EXPECT_EQ(host_network.pod_name, "");  // the node's name, not the pod's
}

TEST(ProcessLabelsTest, EnvironIsReadOnlyWhenNoRuleMatched) {
  TempDir proc;
  for (const char* pid : {"20", "21", "22"}) {
    proc.write(std::string(pid) + "/environ", std::string("OTEL_SERVICE_NAME=from-env\0", 27));
  }
  TempDir state;
  state.write("var/lib/docker/containers/" + kId + "/config.v2.json", R"({"Name":"/shop-api"})");
  Config config;
  config.container_state_root = state.str();
  config.services = {rule("Api", "/srv/api", "", ""), rule("Shop", "", "", "^shop-")};
  ProcessLabeler labeler(config, proc.str());

  ProcessInfo by_exe{};
  by_exe.pid = 20;
  by_exe.exe = "/srv/api";
  labeler.label(by_exe);
  EXPECT_EQ(by_exe.service, "Api");
  ProcessInfo by_container{};
  by_container.pid = 21;
  by_container.container_id = kId;  // named by its state file
  labeler.label(by_container);
  EXPECT_EQ(by_container.service, "Shop");
  EXPECT_EQ(labeler.environ_reads(), 0u);

  ProcessInfo unmatched{};
  unmatched.pid = 22;
  unmatched.exe = "/usr/bin/other";
  labeler.label(unmatched);
  EXPECT_EQ(unmatched.service, "from-env");
  EXPECT_EQ(labeler.environ_reads(), 1u);
}

}  // namespace
}  // namespace ember
