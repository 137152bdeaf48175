#include "container_id.hpp"

#include <gtest/gtest.h>

#include <cctype>

namespace ember {
namespace {

const std::string kId = "3f2b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b";
const std::string kPod = "0d3a1e9c-8f5b-4c2d-9e7f-1a2b3c4d5e6f";
const std::string kPodUnderscored = "0d3a1e9c_8f5b_4c2d_9e7f_1a2b3c4d5e6f";

TEST(ContainerIdTest, HostProcessesHaveNone) {
  EXPECT_EQ(container_id_from_cgroup(""), "");
  EXPECT_EQ(container_id_from_cgroup("0::/\n"), "");
  EXPECT_EQ(container_id_from_cgroup("0::/user.slice/user-1000.slice/session-2.scope\n"), "");
  EXPECT_EQ(container_id_from_cgroup("0::/system.slice/ssh.service\n"), "");
  EXPECT_EQ(pod_uid_from_cgroup("0::/system.slice/ssh.service\n"), "");
}

TEST(ContainerIdTest, DockerCgroupV1) {
  std::string text = "12:cpu,cpuacct:/docker/" + kId + "\n11:memory:/docker/" + kId +
                     "\n1:name=systemd:/docker/" + kId + "\n";
  EXPECT_EQ(container_id_from_cgroup(text), kId);
  EXPECT_EQ(pod_uid_from_cgroup(text), "");
}

TEST(ContainerIdTest, DockerSystemdScope) {
  EXPECT_EQ(container_id_from_cgroup("0::/system.slice/docker-" + kId + ".scope\n"), kId);
  EXPECT_EQ(container_id_from_cgroup("4:pids:/system.slice/docker-" + kId + ".scope"), kId);
}

TEST(ContainerIdTest, ContainerdCrioAndPodman) {
  EXPECT_EQ(container_id_from_cgroup("0::/system.slice/cri-containerd-" + kId + ".scope\n"), kId);
  EXPECT_EQ(container_id_from_cgroup("0::/containerd/" + kId + "\n"), kId);
  EXPECT_EQ(container_id_from_cgroup("0::/crio-" + kId + ".scope\n"), kId);
  EXPECT_EQ(container_id_from_cgroup("0::/machine.slice/libpod-" + kId + ".scope/container\n"),
            kId);
}

TEST(ContainerIdTest, KubepodsCgroupfsDriver) {
  std::string text = "11:devices:/kubepods/burstable/pod" + kPod + "/" + kId + "\n";
  EXPECT_EQ(container_id_from_cgroup(text), kId);
  EXPECT_EQ(pod_uid_from_cgroup(text), kPod);
  text = "0::/kubepods/besteffort/pod" + kPod + "/" + kId + "\n";
  EXPECT_EQ(container_id_from_cgroup(text), kId);
  EXPECT_EQ(pod_uid_from_cgroup(text), kPod);
}

TEST(ContainerIdTest, KubepodsSystemdDriver) {
  std::string text = "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                     kPodUnderscored + ".slice/cri-containerd-" + kId + ".scope\n";
  EXPECT_EQ(container_id_from_cgroup(text), kId);
  EXPECT_EQ(pod_uid_from_cgroup(text), kPod);

  text = "0::/kubepods.slice/kubepods-pod" + kPodUnderscored + ".slice/docker-" + kId + ".scope\n";
  EXPECT_EQ(container_id_from_cgroup(text), kId);
  EXPECT_EQ(pod_uid_from_cgroup(text), kPod);

  text = "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kPodUnderscored +
         ".slice/crio-" + kId + ".scope\n";
  EXPECT_EQ(container_id_from_cgroup(text), kId);
}

TEST(ContainerIdTest, ContainerdSystemdColonForm) {
  std::string text = "1:name=systemd:/kubepods-besteffort-pod" + kPodUnderscored +
                     ".slice:cri-containerd:" + kId + "\n";
  EXPECT_EQ(container_id_from_cgroup(text), kId);
  EXPECT_EQ(pod_uid_from_cgroup(text), kPod);
}

TEST(ContainerIdTest, PicksTheFirstLineWithAnId) {
  std::string text = "13:rdma:/\n12:pids:/docker/" + kId + "\n0::/\n";
  EXPECT_EQ(container_id_from_cgroup(text), kId);
}

TEST(ContainerIdTest, RejectsNearMisses) {
  // 63 and 65 hex digits, uppercase hex, hex inside a longer token.
  EXPECT_EQ(container_id_from_cgroup("0::/docker/" + kId.substr(1) + "\n"), "");
  EXPECT_EQ(container_id_from_cgroup("0::/docker/" + kId + "a\n"), "");
  std::string upper = kId;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(container_id_from_cgroup("0::/docker/" + upper + "\n"), "");
  EXPECT_EQ(container_id_from_cgroup("0::/docker/x" + kId + "\n"), "");
  // "kubepods" contains "pod" but is not a pod uid; a short uid is not one either.
  EXPECT_EQ(pod_uid_from_cgroup("0::/kubepods/burstable/\n"), "");
  EXPECT_EQ(pod_uid_from_cgroup("0::/kubepods/burstable/pod0d3a1e9c-8f5b/" + kId + "\n"), "");
  EXPECT_EQ(pod_uid_from_cgroup("0::/kubepods/burstable/pod" + kPod + "x/\n"), "");
}

TEST(ContainerIdTest, NoTrailingNewlineAndMalformedLines) {
  EXPECT_EQ(container_id_from_cgroup("garbage\n0::/docker/" + kId), kId);
  EXPECT_EQ(container_id_from_cgroup("no colons /docker/" + kId), "");
}

}  // namespace
}  // namespace ember
