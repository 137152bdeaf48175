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
#include <utility>
#include <vector>

#include "install_layout.hpp"

extern char** environ;

namespace ember {
namespace {

// Constructors and an ABI check take milliseconds; a child still loading
// after this long is hung, and so would the agent be. Under AddressSanitizer
// (an unoptimised, instrumented build whose trials of every plugin start at
// once) a busy 2-CPU host has kept a trial past 10 s: a hang still ends it.
#if defined(__SANITIZE_ADDRESS__)
constexpr int kTrialTimeoutMs = 60000;
#else
constexpr int kTrialTimeoutMs = 10000;
#endif

using FileIdentity = std::tuple<dev_t, ino_t, off_t, std::int64_t, long>;

std::mutex trials_mutex;
std::map<std::pair<std::string, FileIdentity>, Status>& trials() {
  static std::map<std::pair<std::string, FileIdentity>, Status> answers;
  return answers;
}

struct Pipe {
  int read = -1, write = -1;
  Pipe() = default;
  Pipe(Pipe&& other) noexcept
      : read(std::exchange(other.read, -1)), write(std::exchange(other.write, -1)) {}
  Pipe& operator=(Pipe&&) = delete;
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

// A child loading one plugin, and the pipe it answers on.
struct Trial {
  std::string path;
  pid_t child = -1;
  Pipe result;
};

Status start_trial(const std::string& path, const std::string& checker, Trial& trial) {
  trial.path = path;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Status::error("plugin " + path + ": cannot try loading it: pipe: " + std::strerror(errno));
  }
  trial.result.read = fds[0];
  trial.result.write = fds[1];
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  // Its result on fd 3; what its constructors print goes nowhere.
  ::posix_spawn_file_actions_adddup2(&actions, trial.result.write, 3);
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::string argv0 = "ember-plugin-load-check";
  char* argv[] = {argv0.data(), const_cast<char*>(path.c_str()), nullptr};
  int spawned = ::posix_spawn(&trial.child, checker.c_str(), &actions, nullptr, argv, environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(trial.result.write);
  trial.result.write = -1;
  if (spawned != 0) {
    trial.child = -1;
    return Status::error("plugin " + path + ": not loaded: cannot run the plugin load checker " +
                         checker + ": " + std::strerror(spawned) +
                         " (it is installed beside the plugin directory)");
  }
  return Status::ok();
}

Status finish_trial(Trial& trial) {
  const std::string& path = trial.path;
  std::string answer;
  const bool finished = read_until_closed(trial.result.read, answer);
  if (!finished) ::kill(trial.child, SIGKILL);
  int status = 0;
  while (::waitpid(trial.child, &status, 0) < 0 && errno == EINTR) {
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

using TrialKey = std::pair<std::string, FileIdentity>;

// The key a file's answer is kept under; false when it cannot be read.
bool trial_key(const std::string& path, TrialKey& key, Status& error) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    error = Status::error("plugin " + path + ": " + std::strerror(errno));
    return false;
  }
  key = std::make_pair(path, FileIdentity{info.st_dev, info.st_ino, info.st_size,
                                          info.st_mtim.tv_sec, info.st_mtim.tv_nsec});
  return true;
}

}  // namespace

std::string default_plugin_load_checker() {
  return ember_lib_path("ember-plugin-load-check");
}

void trial_load_plugins(const std::vector<std::string>& paths, const std::string& checker) {
  std::lock_guard lock(trials_mutex);
  std::vector<std::pair<TrialKey, Trial>> running;
  for (const std::string& path : paths) {
    TrialKey key;
    Status error = Status::ok();
    if (!trial_key(path, key, error) || trials().count(key)) continue;
    running.emplace_back(key, Trial{});
    if (Status started = start_trial(path, checker, running.back().second); !started) {
      trials().emplace(key, started);
      running.pop_back();
    }
  }
  for (auto& [key, trial] : running) trials().emplace(key, finish_trial(trial));
}

Status trial_load_plugin(const std::string& path, const std::string& checker) {
  TrialKey key;
  Status error = Status::ok();
  if (!trial_key(path, key, error)) return error;
  std::lock_guard lock(trials_mutex);
  auto known = trials().find(key);
  if (known != trials().end()) return known->second;
  Trial trial;
  Status answer = start_trial(path, checker, trial);
  if (answer) answer = finish_trial(trial);
  trials().emplace(key, answer);
  return answer;
}

}  // namespace ember
