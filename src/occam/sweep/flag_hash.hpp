#pragma once
// The flag hash: one 64-bit FNV-1a digest of a resolved command line, written as 16 hex digits. `occam sweep`
// stores it per run (a finished run whose hash matches is skipped), and `occam fit --resume` / `occam train
// --resume` store it per output directory (a directory made with other flags is refused, never reused).
// Header-only, so the CLI's resume check needs no library.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace occam::sweep {

/// FNV-1a 64 over the arguments, each followed by a NUL byte (so {"ab","c"} and {"a","bc"} differ).
inline std::string flag_hash(const std::vector<std::string>& args) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& a : args) {
    for (unsigned char ch : a) {
      h ^= ch;
      h *= 0x100000001b3ULL;
    }
    h ^= 0;
    h *= 0x100000001b3ULL;
  }
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) s[std::size_t(i)] = digits[h & 15];
  return s;
}

/// The hash of a name → value map in name order ("--epochs", "5", "--lr", "0.003", …).
inline std::string flag_hash(const std::map<std::string, std::string>& flags) {
  std::vector<std::string> args;
  for (const auto& [k, v] : flags) {
    args.push_back(k);
    args.push_back(v);
  }
  return flag_hash(args);
}

}  // namespace occam::sweep
