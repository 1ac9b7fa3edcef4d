// The Slurm executor: a standard sbatch array script (task i runs point i through `occam sweep exec`),
// submission with sbatch, and states from squeue and sacct.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <sstream>

#include "occam/sweep/sweep.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::sweep {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
std::string quote(const std::string& a) {
  std::string q = "'";
  for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurm_time(double s) {
  // Whole minutes, rounded up, plus one: `occam sweep exec` stops a run at the exact limit first and records
  // it as timed out, so Slurm's own kill (which leaves no record) is only a backstop.
  const long t = long(std::ceil(s / 60.0)) + 1;
  return fmt::format("{}:{:02}:00", t / 60, t % 60);
}

std::vector<std::string> split_ws(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}
}  // namespace

int capture_output(const std::vector<std::string>& args, std::string& out) {
  out.clear();
  int fds[2];
  if (args.empty() || pipe(fds) != 0) return -1;
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    const int in = open("/dev/null", O_RDWR);
    dup2(in, 0);
    dup2(fds[1], 1);
    dup2(in, 2);
    close(fds[0]);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0)
      out.append(buf, std::size_t(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string array_ranges(const std::vector<std::size_t>& sel) {
  std::string out;
  for (std::size_t i = 0; i < sel.size();) {
    std::size_t j = i;
    while (j + 1 < sel.size() && sel[j + 1] == sel[j] + 1) ++j;
    out +=
        (out.empty() ? "" : ",") + (j == i ? std::to_string(sel[i]) : fmt::format("{}-{}", sel[i], sel[j]));
    i = j + 1;
  }
  return out;
}

std::string sbatch_script(const spec& s, const std::vector<std::size_t>& sel, const fs::path& occam,
                          const fs::path& work_dir) {
  std::string array = array_ranges(sel);
  if (s.slurm.parallel > 0) array += fmt::format("%{}", s.slurm.parallel);
  const fs::path logs = s.out_root / "slurm";
  std::string t = "#!/bin/bash\n";
  t += fmt::format("# occam sweep of `occam {}` from {} ({} points; task i runs point i).\n", s.subcommand,
                   s.file.string(), sel.size());
  t += "# Submit by hand with: sbatch THIS_FILE   (occam sweep run --executor slurm does the same)\n";
  t += fmt::format("#SBATCH --job-name={}\n", s.slurm.job_name);
  t += fmt::format("#SBATCH --array={}\n", array);
  t += fmt::format("#SBATCH --cpus-per-task={}\n", s.res.threads);
  t += fmt::format("#SBATCH --mem={}\n", s.res.memory);
  t += fmt::format("#SBATCH --time={}\n", slurm_time(s.res.time_limit_s));
  if (!s.slurm.partition.empty()) t += fmt::format("#SBATCH --partition={}\n", s.slurm.partition);
  t += fmt::format("#SBATCH --output={}/task-%A_%a.out\n", logs.string());
  t += fmt::format("#SBATCH --chdir={}\n", work_dir.string());
  t += "set -euo pipefail\n";
  t += fmt::format("exec {} sweep exec {} \"$SLURM_ARRAY_TASK_ID\"\n", quote(occam.string()),
                   quote(s.out_root.string()));
  return t;
}

submit_stats submit_slurm(const spec& s, const std::vector<std::size_t>& sel, const fs::path& occam,
                          const fs::path& work_dir) {
  submit_stats st;
  const fs::path dir = s.out_root / "slurm";
  create_output_directory(dir);
  std::size_t n = 0;
  std::error_code ec;
  while (fs::exists(dir / fmt::format("sweep-{}.sbatch", n), ec)) ++n;
  st.script = dir / fmt::format("sweep-{}.sbatch", n);
  write_file_atomic(st.script, sbatch_script(s, sel, occam, work_dir));
  fs::permissions(st.script, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add, ec);
  std::string out;
  const int rc = capture_output({"sbatch", "--parsable", st.script.string()}, out);
  if (rc == 127 || rc == -1)
    throw input_error(
        fmt::format("sbatch not found: install Slurm (scripts/start-slurm sets up a one-node "
                    "cluster) or submit {} by hand",
                    st.script.string()));
  if (rc != 0)
    throw input_error(st.script.string(), 0, fmt::format("sbatch refused the script (exit {})", rc));
  st.job_id = out.substr(0, out.find_first_of(";\n"));
  json j = {{"job_id", st.job_id}, {"script", st.script.string()}, {"points", sel}};
  append_line(dir / "jobs.jsonl", j.dump());
  return st;
}

status_report sweep_status(const fs::path& out_root) {
  const manifest m = read_manifest(out_root);
  status_report rep;
  for (const auto& pt : m.points) {
    const auto r = read_record(pt);
    point_status ps{pt.index, "not-run"};
    if (r.present && r.hash != pt.hash)
      ps.state = "stale";
    else if (r.ok())
      ps.state = "done";
    else if (r.present)
      ps.state = r.timed_out ? "timed-out" : "failed";
    rep.points.push_back(ps);
  }
  // Submitted jobs: squeue names pending and running tasks, sacct the end of the others.
  const fs::path jobs = out_root / "slurm" / "jobs.jsonl";
  std::error_code ec;
  if (fs::exists(jobs, ec)) {
    std::istringstream in(read_file(jobs));
    std::vector<std::string> ids;
    for (std::string line; std::getline(in, line);) {
      auto j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.contains("job_id")) ids.push_back(j["job_id"].get<std::string>());
    }
    for (const auto& id : ids) {
      std::string out;
      // %i: jobid_task for array tasks (pending ones as jobid_[a-b]); %T: the state.
      const int rc = capture_output({"squeue", "-h", "-r", "-j", id, "-o", "%i %T"}, out);
      if (rc != 0) {
        rep.notes.push_back(
            fmt::format("squeue -j {} failed (exit {}); states from the run directories", id, rc));
        continue;
      }
      std::istringstream lines(out);
      for (std::string line; std::getline(lines, line);) {
        auto w = split_ws(line);
        if (w.size() < 2) continue;
        const auto us = w[0].find('_');
        if (us == std::string::npos) continue;
        const std::string task = w[0].substr(us + 1);
        if (task.empty() || task[0] == '[') continue;
        const std::size_t k = std::stoul(task);
        if (k < rep.points.size() && rep.points[k].state != "done") rep.points[k].state = "slurm:" + w[1];
      }
      const int rc2 = capture_output({"sacct", "-n", "-P", "-X", "-j", id, "-o", "JobID,State"}, out);
      if (rc2 != 0) {
        rep.notes.push_back(fmt::format("sacct -j {} gave no answer (no accounting storage?)", id));
        continue;
      }
      std::istringstream acct(out);
      for (std::string line; std::getline(acct, line);) {
        const auto bar = line.find('|');
        if (bar == std::string::npos) continue;
        const std::string jid = line.substr(0, bar), state = line.substr(bar + 1);
        const auto us = jid.find('_');
        if (us == std::string::npos || jid.size() <= us + 1 || jid[us + 1] == '[') continue;
        const std::size_t k = std::stoul(jid.substr(us + 1));
        const std::string first = split_ws(state).empty() ? state : split_ws(state)[0];
        if (k < rep.points.size() && (rep.points[k].state == "not-run" || rep.points[k].state == "failed"))
          if (first != "COMPLETED") rep.points[k].state = "slurm:" + first;
      }
    }
  }
  for (const auto& p : rep.points) ++rep.counts[p.state];
  return rep;
}

}  // namespace occam::sweep
