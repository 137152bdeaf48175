#include "launched_command.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "sudo_user.hpp"

namespace ember::cli {
namespace {

// Under sudo, the command runs as the user who typed it, not as root.
void become_sudo_user() {
  auto user = sudo_user();
  if (!user) return;
  if ((user->name.empty() ? setgroups(0, nullptr) : initgroups(user->name.c_str(), user->gid)) !=
          0 ||
      setgid(user->gid) != 0 || setuid(user->uid) != 0) {
    _exit(127);
  }
}

[[noreturn]] void run_child(const std::vector<std::string>& argv, int go_fd, int failed_fd) {
  char go = 0;
  ssize_t got;
  do got = read(go_fd, &go, 1);
  while (got < 0 && errno == EINTR);
  if (got != 1) _exit(127);  // ember ended before sampling
  become_sudo_user();
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  int error = errno;
  (void)!write(failed_fd, &error, sizeof(error));
  _exit(127);
}

}  // namespace

LaunchedCommand::~LaunchedCommand() {
  if (pid_ > 0 && !reaped_) wait();
  if (failed_fd_ >= 0) close(failed_fd_);
}

Status LaunchedCommand::start(const std::vector<std::string>& argv, bool stdout_to_stderr) {
  program_ = argv.at(0);
  int go[2], failed[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(failed, O_CLOEXEC) != 0) {
    return Status::error(std::string("cannot start ") + program_ + ": " + std::strerror(errno));
  }
  pid_ = fork();
  if (pid_ < 0) {
    return Status::error(std::string("cannot start ") + program_ + ": " + std::strerror(errno));
  }
  if (pid_ == 0) {
    close(go[1]);
    close(failed[0]);
    if (stdout_to_stderr) dup2(STDERR_FILENO, STDOUT_FILENO);
    run_child(argv, go[0], failed[1]);
  }
  close(go[0]);
  close(failed[1]);
  go_fd_ = go[1];
  failed_fd_ = failed[0];
  return Status::ok();
}

Status LaunchedCommand::release() {
  char go = 1;
  ssize_t wrote = write(go_fd_, &go, 1);
  close(go_fd_);
  go_fd_ = -1;
  if (wrote != 1) return Status::error("cannot start " + program_ + ": it is gone");
  int error = 0;
  ssize_t got;
  do got = read(failed_fd_, &error, sizeof(error));
  while (got < 0 && errno == EINTR);
  close(failed_fd_);
  failed_fd_ = -1;
  if (got == sizeof(error)) {
    return Status::error("cannot run " + program_ + ": " + std::strerror(error));
  }
  return Status::ok();
}

int LaunchedCommand::wait() {
  if (go_fd_ >= 0) {  // never released: it reads EOF and exits
    close(go_fd_);
    go_fd_ = -1;
  }
  int status = 0;
  pid_t waited;
  do waited = waitpid(pid_, &status, 0);
  while (waited < 0 && errno == EINTR);
  reaped_ = true;
  if (waited != pid_) return 127;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace ember::cli
