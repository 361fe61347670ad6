// `hookd doctor`: checks a configuration end to end and prints, check by check, what is wrong
// and how to mend it.
#include <iostream>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/doctor_checks.hpp"
#include "common/log.hpp"

namespace hookd::cli {
namespace {

std::string_view verdict_word(checkup::Verdict v) {
  switch (v) {
    case checkup::Verdict::kOk:
      return "ok";
    case checkup::Verdict::kNote:
      return "note";
    case checkup::Verdict::kFail:
      return "FAIL";
    case checkup::Verdict::kSkipped:
      return "skip";
  }
  return "FAIL";
}

void print(const checkup::Check& check) {
  constexpr size_t kNameWidth = 12;
  std::string name = check.name;
  name.resize(std::max(name.size(), kNameWidth), ' ');
  std::string word(verdict_word(check.verdict));
  word.resize(5, ' ');
  std::cout << word << name << ' ' << check.found << '\n';
  if (!check.fix.empty()) {
    std::cout << std::string(5 + kNameWidth + 1, ' ') << "fix: " << check.fix << '\n';
  }
}

}  // namespace

int doctor(const CommonFlags& flags, const DoctorFlags& doctor_flags) {
  // What the checks' libraries log goes to stderr only when it is an error.
  log::set_min_level(log::Level::kError);
  std::cout << "hookd doctor " << HOOKD_VERSION << '\n';
  checkup::State state;
  std::vector<checkup::Check> checks;
  checks.push_back(checkup::check_config(state, flags));
  if (state.config) {
    checks.push_back(checkup::check_database(state));
    checks.push_back(checkup::check_secrets(state));
    checks.push_back(checkup::check_trust_store(state));
    const bool named = !doctor_flags.resolve.empty();
    checks.push_back(checkup::check_dns(state, named ? doctor_flags.resolve : "localhost", named));
    if (!doctor_flags.url.empty()) checks.push_back(checkup::check_url(state, doctor_flags.url));
  } else {
    for (const char* name : {"database", "secrets", "trust store", "dns", "url"}) {
      if (std::string_view(name) == "url" && doctor_flags.url.empty()) continue;
      checks.push_back(
          {name, checkup::Verdict::kSkipped, "not checked: the configuration is invalid", {}});
    }
  }
  size_t failed = 0;
  for (const checkup::Check& check : checks) {
    print(check);
    failed += check.verdict == checkup::Verdict::kFail ? 1 : 0;
  }
  if (failed == 0) {
    std::cout << "hookd doctor: every check passed\n";
    return 0;
  }
  std::cout << "hookd doctor: " << failed << " check(s) failed\n";
  return 1;
}

}  // namespace hookd::cli
