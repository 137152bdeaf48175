#include "plugin_load_trial.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "install_layout.hpp"

extern char** environ;

namespace ember {
namespace {

// Constructors and an ABI check take milliseconds; a child still loading
// after this long is hung, and so would the agent be.
constexpr int kTrialTimeoutMs = 10000;

using FileIdentity = std::tuple<dev_t, ino_t, off_t, std::int64_t, long>;

std::mutex trials_mutex;
std::map<std::pair<std::string, FileIdentity>, Status>& trials() {
  static std::map<std::pair<std::string, FileIdentity>, Status> answers;
  return answers;
}

struct Pipe {
  int read = -1, write = -1;
  ~Pipe() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
};

// What the child wrote to fd 3 until it closed it, or until the deadline.
// False on timeout.
bool read_until_closed(int fd, std::string& out) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTrialTimeoutMs);
  char buffer[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd waiting{fd, POLLIN, 0};
    int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return ready < 0;  // an error reads as the end
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return true;
    out.append(buffer, static_cast<std::size_t>(got));
  }
}

std::string signal_text(int signal) {
  const char* name = ::strsignal(signal);
  return "signal " + std::to_string(signal) + (name ? std::string(" (") + name + ")" : "");
}

Status run_trial(const std::string& path, const std::string& checker) {
  Pipe result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Status::error("plugin " + path + ": cannot try loading it: pipe: " + std::strerror(errno));
  }
  result.read = fds[0];
  result.write = fds[1];
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  // Its result on fd 3; what its constructors print goes nowhere.
  ::posix_spawn_file_actions_adddup2(&actions, result.write, 3);
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::string argv0 = "ember-plugin-load-check";
  char* argv[] = {argv0.data(), const_cast<char*>(path.c_str()), nullptr};
  pid_t child = -1;
  int spawned = ::posix_spawn(&child, checker.c_str(), &actions, nullptr, argv, environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return Status::error("plugin " + path + ": not loaded: cannot run the plugin load checker " +
                         checker + ": " + std::strerror(spawned) +
                         " (it is installed beside the plugin directory)");
  }
  ::close(result.write);
  result.write = -1;
  std::string answer;
  const bool finished = read_until_closed(result.read, answer);
  if (!finished) ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!finished) {
    return Status::error("plugin " + path + ": not loaded: it was still loading after " +
                         std::to_string(kTrialTimeoutMs / 1000) +
                         " s in a trial process (a constructor that hangs?)");
  }
  if (WIFSIGNALED(status)) {
    return Status::error("plugin " + path + ": not loaded: it crashed while loading in a trial "
                         "process (its constructors or ABI check), " +
                         signal_text(WTERMSIG(status)));
  }
  while (!answer.empty() && answer.back() == '\n') answer.pop_back();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && answer == "ok") return Status::ok();
  if (!answer.empty() && answer != "ok") return Status::error(answer);
  return Status::error("plugin " + path + ": not loaded: its trial load exited with status " +
                       std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                       " without an answer (a constructor that calls exit?)");
}

}  // namespace

std::string default_plugin_load_checker() {
  return ember_lib_path("ember-plugin-load-check");
}

Status trial_load_plugin(const std::string& path, const std::string& checker) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Status::error("plugin " + path + ": " + std::strerror(errno));
  }
  const auto key = std::make_pair(
      path, FileIdentity{info.st_dev, info.st_ino, info.st_size, info.st_mtim.tv_sec,
                         info.st_mtim.tv_nsec});
  std::lock_guard lock(trials_mutex);
  auto known = trials().find(key);
  if (known != trials().end()) return known->second;
  Status answer = run_trial(path, checker);
  trials().emplace(key, answer);
  return answer;
}

}  // namespace ember
