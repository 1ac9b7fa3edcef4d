// Loaders (CSV, NPY, PLA, IWLS truth tables, IDX) and built-in tasks. See loaders.hpp and docs/data.md.
#include "occam/data/loaders.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "occam/data/rng.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::data {
namespace {

constexpr double two_pi = 6.283185307179586476925286766559;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}
/// Parses a whole string as a double (no trailing junk). Non-finite values parse (the caller reports them).
bool parse_double(const std::string& s, double& out) {
  if (s.empty()) return false;
  // std::from_chars is locale-independent and fast; strtod covers what it rejects (a leading '+', hex).
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec == std::errc() && ptr == s.data() + s.size()) return true;
  const char* b = s.c_str();
  char* e = nullptr;
  errno = 0;
  out = std::strtod(b, &e);
  if (e == b || *e != '\0') return false;
  return true;
}
bool parse_uint(const std::string& s, std::uint64_t& out) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoull(s);
  return true;
}

/// Sequential reads from a plain or gzip file (zlib passes plain files through).
class gz_reader {
 public:
  explicit gz_reader(const std::filesystem::path& p) : name_(p.string()) {
    if (!std::filesystem::is_regular_file(p)) throw input_error(name_, 0, "cannot open file (no such file)");
    f_ = gzopen(name_.c_str(), "rb");
    if (!f_) throw input_error(name_, 0, "cannot open file");
  }
  ~gz_reader() {
    if (f_) gzclose(f_);
  }
  gz_reader(const gz_reader&) = delete;
  gz_reader& operator=(const gz_reader&) = delete;
  /// Reads up to n bytes; returns how many were read (fewer only at the end of the data).
  std::size_t read(void* buf, std::size_t n) {
    std::size_t done = 0;
    auto* p = static_cast<unsigned char*>(buf);
    while (done < n) {
      unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
      int got = gzread(f_, p + done, chunk);
      if (got < 0) {
        int err = 0;
        const char* msg = gzerror(f_, &err);
        throw input_error(name_, 0, std::string("read error: ") + (msg ? msg : "unknown"));
      }
      if (got == 0) {
        // zlib reports a gzip stream cut short (no trailer: CRC-32 and length unchecked) as Z_BUF_ERROR at
        // the end of the data; a CRC or length mismatch is a read error above.
        int err = Z_OK;
        gzerror(f_, &err);
        if (err == Z_BUF_ERROR)
          throw input_error(name_, 0, "truncated gzip file (unexpected end of the compressed data)");
        break;
      }
      done += static_cast<std::size_t>(got);
    }
    return done;
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  gzFile f_ = nullptr;
};

/// Applies the requested kind to targets that were read as real numbers (CSV, NPY). `class_hint` is the
/// number of classes a source declared (scikit-learn CSV headers), 0 if none.
void apply_kind(dataset& d, const std::string& requested, task_kind natural, std::size_t class_hint) {
  auto all_integer = [&](bool nonneg) {
    for (float v : d.y)
      if (v != std::floor(v) || (nonneg && v < 0)) return false;
    return true;
  };
  auto all_01 = [&] {
    for (float v : d.y)
      if (v != 0.0f && v != 1.0f) return false;
    return true;
  };
  auto set_multiclass = [&] {
    if (d.d_out != 1)
      throw input_error(d.name, 0,
                        "multiclass needs exactly one target column, got " + std::to_string(d.d_out));
    if (!all_integer(true))
      throw input_error(d.name, 0, "multiclass targets must be non-negative integers (class indices)");
    float mx = 0;
    for (float v : d.y) mx = std::max(mx, v);
    d.kind = task_kind::multiclass;
    d.n_classes = std::max<std::size_t>({class_hint, static_cast<std::size_t>(mx) + 1, 2});
  };
  task_kind k = natural;
  if (requested.empty()) {
    k = natural;
  } else if (requested == "regression") {
    k = task_kind::regression;
  } else if (requested == "binary") {
    if (!all_01()) throw input_error(d.name, 0, "binary targets must all be 0 or 1");
    k = task_kind::binary;
  } else if (requested == "multiclass") {
    k = task_kind::multiclass;
  } else if (requested == "auto") {
    if (d.n > 0 && all_01())
      k = task_kind::binary;
    else if (d.n > 0 && d.d_out == 1 && all_integer(true))
      k = task_kind::multiclass;
    else
      k = task_kind::regression;
  } else {
    throw input_error("unknown task kind '" + requested + "' (valid: regression, binary, multiclass, auto)");
  }
  if (k == task_kind::multiclass) {
    set_multiclass();
  } else {
    d.kind = k;
    d.n_classes = 0;
  }
}

// ---------------------------------------------------------------------------------------------------------
// CSV

struct csv_row {
  std::size_t line;
  std::vector<std::string> fields;
};

void split_csv_line(const std::string& line, char delim, const std::string& name, std::size_t line_no,
                    std::vector<std::string>& out) {
  out.clear();
  if (delim == ' ') {  // runs of blanks
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i == line.size()) break;
      std::size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      std::size_t b = i, e = j;
      if (e - b >= 2 && line[b] == '"' && line[e - 1] == '"') ++b, --e;
      out.emplace_back(line, b, e - b);
      i = j;
    }
    return;
  }
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur += c;
      }
    } else if (c == '"' && trim(cur).empty()) {
      quoted = true;
      was_quoted = true;
      cur.clear();
    } else if (c == delim) {
      out.push_back(was_quoted ? cur : trim(cur));
      cur.clear();
      was_quoted = false;
    } else {
      if (was_quoted && c != ' ' && c != '\t' && c != '\r')
        throw input_error(name, line_no,
                          "text after a closing quote in column " + std::to_string(out.size() + 1));
      if (!was_quoted) cur += c;
    }
  }
  if (quoted)
    throw input_error(name, line_no, "unterminated quoted field in column " + std::to_string(out.size() + 1));
  out.push_back(was_quoted ? cur : trim(cur));
}
std::vector<std::string> split_csv_line(const std::string& line, char delim, const std::string& name,
                                        std::size_t line_no) {
  std::vector<std::string> out;
  split_csv_line(line, delim, name, line_no, out);
  return out;
}

std::size_t resolve_column(const std::string& sel, const std::vector<std::string>& names,
                           const std::string& file) {
  for (std::size_t c = 0; c < names.size(); ++c)
    if (names[c] == sel) return c;
  std::string s = sel;
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s = s.substr(1);
  std::uint64_t v = 0;
  if (parse_uint(s, v)) {
    if (!negative && v < names.size()) return static_cast<std::size_t>(v);
    if (negative && v >= 1 && v <= names.size()) return names.size() - static_cast<std::size_t>(v);
  }
  std::string list;
  for (std::size_t c = 0; c < names.size(); ++c) list += (c ? ", " : "") + names[c];
  throw input_error(file, 0,
                    "no column '" + sel + "' (columns: " + list + "; or a 0-based index, -1 = last)");
}

/// Chooses target and input column indices from the selectors (defaults: last column; all others).
void choose_columns(const load_params& p, const std::vector<std::string>& names, const std::string& file,
                    std::vector<std::size_t>& inputs, std::vector<std::size_t>& targets) {
  targets.clear();
  inputs.clear();
  if (names.size() < 2) throw input_error(file, 0, "needs at least 2 columns (inputs and a target)");
  if (p.target_columns.empty()) {
    targets.push_back(names.size() - 1);
  } else {
    for (auto& s : p.target_columns) targets.push_back(resolve_column(s, names, file));
  }
  if (p.input_columns.empty()) {
    for (std::size_t c = 0; c < names.size(); ++c)
      if (std::find(targets.begin(), targets.end(), c) == targets.end()) inputs.push_back(c);
  } else {
    for (auto& s : p.input_columns) inputs.push_back(resolve_column(s, names, file));
  }
  for (auto t : targets)
    if (std::count(targets.begin(), targets.end(), t) > 1 ||
        std::find(inputs.begin(), inputs.end(), t) != inputs.end())
      throw input_error(file, 0,
                        "column '" + names[t] + "' is selected twice (inputs and targets must differ)");
  if (inputs.empty()) throw input_error(file, 0, "no input columns left");
}

bool all_numeric(const std::vector<std::string>& f, std::size_t from = 0) {
  double v;
  for (std::size_t i = from; i < f.size(); ++i)
    if (!parse_double(f[i], v)) return false;
  return true;
}
bool none_numeric(const std::vector<std::string>& f, std::size_t from) {
  double v;
  for (std::size_t i = from; i < f.size(); ++i)
    if (parse_double(f[i], v)) return false;
  return true;
}

}  // namespace

std::string read_maybe_gzip(const std::filesystem::path& path) {
  {
    // Plain files are read in one go (zlib's transparent mode copies through small buffers).
    std::ifstream in(path, std::ios::binary);
    if (!in) throw input_error(path.string(), 0, "cannot open file");
    unsigned char magic[2] = {0, 0};
    in.read(reinterpret_cast<char*>(magic), 2);
    if (!(in.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b)) {
      std::error_code ec;
      auto size = std::filesystem::file_size(path, ec);
      std::string out;
      if (!ec) out.reserve(static_cast<std::size_t>(size));
      in.clear();
      in.seekg(0);
      char buf[1 << 16];
      while (in.read(buf, sizeof buf) || in.gcount() > 0)
        out.append(buf, static_cast<std::size_t>(in.gcount()));
      return out;
    }
  }
  gz_reader r(path);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    std::size_t got = r.read(buf, sizeof buf);
    out.append(buf, got);
    if (got < sizeof buf) break;
  }
  return out;
}

dataset load_csv(const std::filesystem::path& path, const load_params& p) {
  const std::string file = path.string();
  const std::string text = read_maybe_gzip(path);
  // Streams over the physical lines, skipping blank ones (the trailing newline, blank separators), so a
  // large file is held once as text and once as floats. A UTF-8 byte-order mark (spreadsheet exports) is
  // skipped: it is not part of the first column's name.
  std::size_t pos = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0, line_no = 0;
  std::string line;
  auto next_line = [&]() -> bool {
    while (pos < text.size()) {
      std::size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      line.assign(text, pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") != std::string::npos) return true;
    }
    return false;
  };
  if (!next_line()) throw input_error(file, 0, "empty file");
  char delim = p.csv_delimiter;
  if (delim == 0) {
    delim = line.find(',') != std::string::npos    ? ','
            : line.find(';') != std::string::npos  ? ';'
            : line.find('\t') != std::string::npos ? '\t'
                                                   : ' ';
  }
  csv_row first{line_no, split_csv_line(line, delim, file, line_no)};
  const std::size_t first_line = line_no;
  std::vector<csv_row> pending;  // rows read ahead while looking at the header (at most two)

  std::vector<std::string> names;
  std::size_t class_hint = 0;
  std::uint64_t declared_rows = 0;
  bool sklearn = false;
  // scikit-learn's bundled CSVs start with "n_samples,n_features[,class names...]" (then, for some, a row of
  // column names). Recognised in automatic header mode only.
  if (p.csv_header == csv_header_mode::automatic && first.fields.size() >= 2) {
    const auto& f = first.fields;
    std::uint64_t n_decl = 0, d_decl = 0;
    bool second = next_line();
    csv_row row2{line_no, second ? split_csv_line(line, delim, file, line_no) : std::vector<std::string>{}};
    if (parse_uint(f[0], n_decl) && parse_uint(f[1], d_decl) && none_numeric(f, 2) &&
        (f.size() > 2 || (second && row2.fields.size() != 2))) {
      sklearn = true;
      declared_rows = n_decl;
      // Class names follow (iris: setosa,versicolor,virginica); boston pads the row with empty fields.
      class_hint = static_cast<std::size_t>(
          std::count_if(f.begin() + 2, f.end(), [](const std::string& s) { return !s.empty(); }));
      if (second && !all_numeric(row2.fields))
        names = std::move(row2.fields);
      else if (second)
        pending.push_back(std::move(row2));
    } else {
      if (!all_numeric(first.fields))
        names = std::move(first.fields);
      else
        pending.push_back(std::move(first));
      if (second) pending.push_back(std::move(row2));
    }
  } else if (p.csv_header == csv_header_mode::present) {
    names = std::move(first.fields);
  } else {
    pending.push_back(std::move(first));
  }
  // The first data row fixes the column count.
  if (pending.empty()) {
    if (!next_line()) throw input_error(file, line_no, "no data rows after the header");
    pending.push_back({line_no, split_csv_line(line, delim, file, line_no)});
  }
  const std::size_t ncols = pending[0].fields.size();
  if (names.empty()) {
    for (std::size_t c = 0; c < ncols; ++c) names.push_back("column " + std::to_string(c));
  } else if (names.size() != ncols) {
    throw input_error(file, pending[0].line,
                      "expected " + std::to_string(names.size()) + " columns (as in the header), found " +
                          std::to_string(ncols));
  }
  std::vector<std::size_t> in_cols, out_cols;
  choose_columns(p, names, file, in_cols, out_cols);

  dataset d;
  d.name = file;
  d.d_in = in_cols.size();
  d.d_out = out_cols.size();
  auto value = [&](const csv_row& r, std::size_t c) -> float {
    const std::string& s = r.fields[c];
    double v = 0;
    if (s.empty())
      throw input_error(file, r.line,
                        "empty value in column " + std::to_string(c + 1) + " ('" + names[c] + "')");
    if (!parse_double(s, v))
      throw input_error(
          file, r.line,
          "non-numeric value '" + s + "' in column " + std::to_string(c + 1) + " ('" + names[c] + "')");
    if (!std::isfinite(v) || std::fabs(v) > std::numeric_limits<float>::max())
      throw input_error(file, r.line,
                        "value '" + s + "' in column " + std::to_string(c + 1) + " ('" + names[c] +
                            "') is NaN, infinite or out of float range");
    return static_cast<float>(v);
  };
  std::size_t total_rows = 0;
  auto take = [&](const csv_row& r) {
    if (r.fields.size() != ncols)
      throw input_error(
          file, r.line,
          "expected " + std::to_string(ncols) + " columns, found " + std::to_string(r.fields.size()));
    ++total_rows;
    if (p.max_rows && total_rows > p.max_rows) return;  // still check the column count of every row
    for (auto c : in_cols) d.x.push_back(value(r, c));
    for (auto c : out_cols) d.y.push_back(value(r, c));
  };
  for (auto& r : pending) take(r);
  csv_row r;
  while (next_line()) {
    r.line = line_no;
    split_csv_line(line, delim, file, line_no, r.fields);
    take(r);
  }
  if (sklearn && declared_rows != total_rows)
    throw input_error(file, first_line,
                      "header declares " + std::to_string(declared_rows) + " rows, the file has " +
                          std::to_string(total_rows));
  d.n = d.d_in ? d.x.size() / d.d_in : 0;
  apply_kind(d, p.kind, class_hint >= 2 ? task_kind::multiclass : task_kind::regression, class_hint);
  fit_box_to_data(d);
  d.validate();
  return d;
}

// ---------------------------------------------------------------------------------------------------------
// NPY

std::size_t npy_array::size() const {
  std::size_t s = 1;
  for (auto v : shape) s *= v;
  return s;
}
std::size_t npy_array::cols() const {
  std::size_t s = 1;
  for (std::size_t i = 1; i < shape.size(); ++i) s *= shape[i];
  return s;
}

namespace {
std::size_t dtype_size(const std::string& d) {
  static const std::map<std::string, std::size_t> sizes = {{"<f4", 4}, {"<f8", 8}, {"<i8", 8}, {"<i4", 4},
                                                           {"|u1", 1}, {"|i1", 1}, {"|b1", 1}, {"<u1", 1}};
  auto it = sizes.find(d);
  return it == sizes.end() ? 0 : it->second;
}

/// Value of `key` in the header dict: the text after "'key':" up to the matching end.
std::string npy_header_value(const std::string& h, const std::string& key, const std::string& file) {
  auto k = h.find("'" + key + "'");
  if (k == std::string::npos) k = h.find("\"" + key + "\"");
  if (k == std::string::npos) throw input_error(file, 0, "NPY header lacks '" + key + "'");
  auto colon = h.find(':', k);
  if (colon == std::string::npos) throw input_error(file, 0, "bad NPY header near '" + key + "'");
  std::size_t b = h.find_first_not_of(' ', colon + 1);
  if (b == std::string::npos) throw input_error(file, 0, "bad NPY header near '" + key + "'");
  if (h[b] == '\'' || h[b] == '"') {
    auto e = h.find(h[b], b + 1);
    if (e == std::string::npos) throw input_error(file, 0, "bad NPY header near '" + key + "'");
    return h.substr(b + 1, e - b - 1);
  }
  if (h[b] == '(') {
    auto e = h.find(')', b);
    if (e == std::string::npos) throw input_error(file, 0, "bad NPY header near '" + key + "'");
    return h.substr(b, e - b + 1);
  }
  auto e = h.find_first_of(",}", b);
  return trim(h.substr(b, e == std::string::npos ? std::string::npos : e - b));
}
}  // namespace

npy_array read_npy(const std::filesystem::path& path, std::size_t max_rows) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(file, 0, "cannot open file");
  unsigned char pre[10];
  in.read(reinterpret_cast<char*>(pre), 8);
  if (in.gcount() != 8 || std::memcmp(pre, "\x93NUMPY", 6) != 0)
    throw input_error(file, 0, "not an NPY file (bad magic)");
  unsigned major = pre[6];
  std::size_t header_len = 0;
  if (major == 1) {
    in.read(reinterpret_cast<char*>(pre + 8), 2);
    if (in.gcount() != 2) throw input_error(file, 0, "truncated NPY header");
    header_len = pre[8] | (pre[9] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char l[4];
    in.read(reinterpret_cast<char*>(l), 4);
    if (in.gcount() != 4) throw input_error(file, 0, "truncated NPY header");
    header_len =
        std::size_t(l[0]) | (std::size_t(l[1]) << 8) | (std::size_t(l[2]) << 16) | (std::size_t(l[3]) << 24);
  } else {
    throw input_error(file, 0, "unsupported NPY version " + std::to_string(major));
  }
  if (header_len > (1u << 24)) throw input_error(file, 0, "NPY header too long");
  std::string h(header_len, '\0');
  in.read(h.data(), static_cast<std::streamsize>(header_len));
  if (static_cast<std::size_t>(in.gcount()) != header_len) throw input_error(file, 0, "truncated NPY header");

  npy_array a;
  a.dtype = npy_header_value(h, "descr", file);
  if (a.dtype == "=f8" || a.dtype == "=f4" || a.dtype == "=i8" || a.dtype == "=i4") a.dtype[0] = '<';
  if (a.dtype == "<u1" || a.dtype == "=u1") a.dtype = "|u1";
  std::size_t esize = dtype_size(a.dtype);
  if (esize == 0)
    throw input_error(file, 0,
                      "unsupported NPY dtype '" + a.dtype +
                          "' (supported: <f4, <f8, <i8, <i4, |u1, |i1, |b1; little endian)");
  std::string fortran = npy_header_value(h, "fortran_order", file);
  if (fortran == "True")
    throw input_error(file, 0, "Fortran-order NPY arrays are not supported (save in C order)");
  if (fortran != "False") throw input_error(file, 0, "bad fortran_order '" + fortran + "' in NPY header");
  std::string shape = npy_header_value(h, "shape", file);
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')')
    throw input_error(file, 0, "bad shape '" + shape + "' in NPY header");
  {
    std::string inner = shape.substr(1, shape.size() - 2);
    std::stringstream ss(inner);
    std::string tok;
    while (std::getline(ss, tok, ',')) {
      tok = trim(tok);
      if (tok.empty()) continue;
      if (!tok.empty() && tok.back() == 'L') tok.pop_back();
      std::uint64_t v = 0;
      if (!parse_uint(tok, v)) throw input_error(file, 0, "bad shape '" + shape + "' in NPY header");
      a.shape.push_back(static_cast<std::size_t>(v));
    }
  }
  if (max_rows && !a.shape.empty() && a.shape[0] > max_rows) a.shape[0] = max_rows;
  // Overflow-safe element count, checked against the bytes the file really holds before allocating.
  std::size_t total = 1;
  for (auto dim : a.shape) {
    if (dim != 0 && total > ((std::size_t(1) << 40) / esize) / dim)
      throw input_error(file, 0, "NPY array too large (shape " + shape + ")");
    total *= dim;
  }
  {
    std::error_code ec;
    auto file_bytes = std::filesystem::file_size(path, ec);
    auto offset = in.tellg();
    if (!ec && offset >= 0 && total * esize > file_bytes - static_cast<std::uintmax_t>(offset))
      throw input_error(file, 0,
                        "truncated NPY data: expected " + std::to_string(total * esize) + " bytes, found " +
                            std::to_string(file_bytes - static_cast<std::uintmax_t>(offset)));
  }
  // Read and convert in chunks: no second full-size buffer (fresh memory is what costs most here).
  a.data.resize(total);
  std::vector<unsigned char> raw(std::min<std::size_t>(total * esize, std::size_t(1) << 20) / esize * esize +
                                 esize);
  std::size_t done = 0;
  while (done < total) {
    std::size_t count = std::min(total - done, raw.size() / esize);
    in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(count * esize));
    if (static_cast<std::size_t>(in.gcount()) != count * esize)
      throw input_error(file, 0,
                        "truncated NPY data: expected " + std::to_string(total * esize) + " bytes, found " +
                            std::to_string(done * esize + static_cast<std::size_t>(in.gcount())));
    // The host is little endian (x86-64, aarch64), so the bytes are copied as they are.
    auto convert = [&](auto tag) {
      using T = decltype(tag);
      const unsigned char* p = raw.data();
      double* out = a.data.data() + done;
      for (std::size_t i = 0; i < count; ++i, p += sizeof(T)) {
        T v;
        std::memcpy(&v, p, sizeof(T));
        out[i] = static_cast<double>(v);
      }
    };
    if (a.dtype == "<f8")
      convert(double{});
    else if (a.dtype == "<f4")
      convert(float{});
    else if (a.dtype == "<i8")
      convert(std::int64_t{});
    else if (a.dtype == "<i4")
      convert(std::int32_t{});
    else if (a.dtype == "|i1")
      convert(std::int8_t{});
    else  // |u1, |b1
      convert(std::uint8_t{});
    done += count;
  }
  return a;
}

void write_npy(const std::filesystem::path& path, const npy_array& a, bool as_float32) {
  if (a.data.size() != a.size())
    throw input_error(path.string(), 0,
                      "write_npy: shape holds " + std::to_string(a.size()) + " values, data has " +
                          std::to_string(a.data.size()));
  std::string dict =
      std::string("{'descr': '") + (as_float32 ? "<f4" : "<f8") + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < a.shape.size(); ++i)
    dict += std::to_string(a.shape[i]) + (a.shape.size() == 1 ? "," : (i + 1 < a.shape.size() ? ", " : ""));
  dict += "), }";
  // Pad with blanks and a final newline so that the data starts on a 64-byte boundary.
  bool v2 = dict.size() + 11 + 64 > 65535;
  std::size_t prefix = v2 ? 12 : 10;
  std::size_t total = prefix + dict.size() + 1;
  total = (total + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  write_file_atomic(
      path,
      [&](std::ostream& os) {
        os.write("\x93NUMPY", 6);
        os.put(static_cast<char>(v2 ? 2 : 1));
        os.put(0);
        std::size_t hl = dict.size();
        if (v2) {
          for (int b = 0; b < 4; ++b) os.put(static_cast<char>((hl >> (8 * b)) & 0xff));
        } else {
          os.put(static_cast<char>(hl & 0xff));
          os.put(static_cast<char>((hl >> 8) & 0xff));
        }
        os.write(dict.data(), static_cast<std::streamsize>(dict.size()));
        for (double v : a.data) {
          if (as_float32) {
            float f = static_cast<float>(v);
            os.write(reinterpret_cast<const char*>(&f), 4);
          } else {
            os.write(reinterpret_cast<const char*>(&v), 8);
          }
        }
      },
      true);
}

dataset load_npy_dataset(const std::filesystem::path& x_path, const load_params& p) {
  const std::string file = x_path.string();
  npy_array X = read_npy(x_path, p.max_rows);
  if (X.shape.empty() || X.shape.size() > 2)
    throw input_error(file, 0,
                      "expected a 1-d or 2-d array, got " + std::to_string(X.shape.size()) + " dimensions");
  dataset d;
  d.name = file;
  d.n = X.rows();
  if (d.n == 0) throw input_error(file, 0, "no rows (shape has 0 rows)");
  if (!p.targets_path.empty()) {
    npy_array Y = read_npy(p.targets_path, p.max_rows);
    if (Y.shape.empty() || Y.shape.size() > 2)
      throw input_error(p.targets_path, 0, "expected a 1-d or 2-d array of targets");
    if (Y.rows() != X.rows())
      throw input_error(p.targets_path, 0,
                        "has " + std::to_string(Y.rows()) + " rows, the inputs " + file + " have " +
                            std::to_string(X.rows()));
    d.d_in = X.cols();
    d.d_out = Y.cols();
    d.x.assign(X.data.begin(), X.data.end());
    d.y.assign(Y.data.begin(), Y.data.end());
  } else {
    std::vector<std::string> names;
    for (std::size_t c = 0; c < X.cols(); ++c) names.push_back(std::to_string(c));
    std::vector<std::size_t> in_cols, out_cols;
    choose_columns(p, names, file, in_cols, out_cols);
    d.d_in = in_cols.size();
    d.d_out = out_cols.size();
    d.x.resize(d.n * d.d_in);
    d.y.resize(d.n * d.d_out);
    const std::size_t w = X.cols();
    for (std::size_t i = 0; i < d.n; ++i) {
      for (std::size_t j = 0; j < d.d_in; ++j)
        d.x[i * d.d_in + j] = static_cast<float>(X.data[i * w + in_cols[j]]);
      for (std::size_t j = 0; j < d.d_out; ++j)
        d.y[i * d.d_out + j] = static_cast<float>(X.data[i * w + out_cols[j]]);
    }
  }
  for (std::size_t i = 0; i < d.x.size(); ++i)
    if (!std::isfinite(d.x[i]))
      throw input_error(file, 0,
                        "input " + std::to_string(i % d.d_in) + " of row " + std::to_string(i / d.d_in) +
                            " is NaN or infinite");
  for (std::size_t i = 0; i < d.y.size(); ++i)
    if (!std::isfinite(d.y[i]))
      throw input_error(p.targets_path.empty() ? file : p.targets_path, 0,
                        "target " + std::to_string(i % d.d_out) + " of row " + std::to_string(i / d.d_out) +
                            " is NaN or infinite");
  apply_kind(d, p.kind, task_kind::regression, 0);
  fit_box_to_data(d);
  d.validate();
  return d;
}

// ---------------------------------------------------------------------------------------------------------
// PLA and truth tables

namespace {
void set_unit_box(dataset& d) {
  d.input_box.lo.assign(d.d_in, 0.0f);
  d.input_box.hi.assign(d.d_in, 1.0f);
}
}  // namespace

dataset pla_to_dataset(const pla_table& t, const std::string& name) {
  dataset d;
  d.name = name;
  d.kind = task_kind::binary;
  d.boolean_inputs = true;
  d.n = t.inputs.size();
  d.d_in = t.num_inputs;
  d.d_out = t.num_outputs;
  d.x.resize(d.n * d.d_in);
  d.y.resize(d.n * d.d_out);
  for (std::size_t r = 0; r < d.n; ++r) {
    std::size_t line = r < t.source_lines.size() ? t.source_lines[r] : 0;
    for (std::size_t j = 0; j < d.d_in; ++j) {
      char c = t.inputs[r][j];
      if (c == '-')
        throw input_error(name, line,
                          "input " + std::to_string(j + 1) +
                              " is '-': a data set needs fully specified rows (expand the cubes first)");
      d.x[r * d.d_in + j] = c == '1' ? 1.0f : 0.0f;
    }
    for (std::size_t j = 0; j < d.d_out; ++j) {
      char c = t.outputs[r][j];
      if (c == '-' || c == '~')
        throw input_error(name, line,
                          "output " + std::to_string(j + 1) + " is a don't-care; targets must be 0 or 1");
      d.y[r * d.d_out + j] = c == '1' ? 1.0f : 0.0f;
    }
  }
  set_unit_box(d);
  d.validate();
  return d;
}

dataset load_pla_dataset(const std::filesystem::path& path) {
  return pla_to_dataset(read_pla(path), path.string());
}

dataset load_truth_table(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::string text = read_maybe_gzip(path);
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);  // a UTF-8 byte-order mark
  std::vector<std::string> lines;
  std::vector<std::size_t> line_nos;
  {
    std::istringstream is(text);
    std::string l;
    std::size_t no = 0;
    while (std::getline(is, l)) {
      ++no;
      l = trim(l);
      if (l.empty()) continue;
      for (std::size_t c = 0; c < l.size(); ++c)
        if (l[c] != '0' && l[c] != '1')
          throw input_error(file, no,
                            std::string("bad character '") + l[c] + "' at column " + std::to_string(c + 1) +
                                " (expected 0 or 1)");
      lines.push_back(l);
      line_nos.push_back(no);
    }
  }
  if (lines.empty()) throw input_error(file, 0, "empty file (no truth table)");
  const std::size_t len = lines[0].size();
  unsigned n = 0;
  while ((std::size_t(1) << n) < len) ++n;
  if ((std::size_t(1) << n) != len || n == 0)
    throw input_error(file, line_nos[0],
                      "line has " + std::to_string(len) + " characters, not 2^n with n >= 1");
  if (n > 20) throw input_error(file, line_nos[0], "truth tables over more than 20 inputs are not supported");
  for (std::size_t j = 1; j < lines.size(); ++j)
    if (lines[j].size() != len)
      throw input_error(file, line_nos[j],
                        "line has " + std::to_string(lines[j].size()) + " characters, the first has " +
                            std::to_string(len));
  dataset d;
  d.name = file;
  d.kind = task_kind::binary;
  d.boolean_inputs = true;
  d.n = len;
  d.d_in = n;
  d.d_out = lines.size();
  d.x.resize(d.n * d.d_in);
  d.y.resize(d.n * d.d_out);
  for (std::size_t m = 0; m < len; ++m) {
    for (unsigned i = 0; i < n; ++i) d.x[m * n + i] = static_cast<float>((m >> i) & 1u);
    // Most significant minterm first (ABC read_truth convention): character k is minterm len-1-k.
    for (std::size_t j = 0; j < d.d_out; ++j)
      d.y[m * d.d_out + j] = lines[j][len - 1 - m] == '1' ? 1.0f : 0.0f;
  }
  set_unit_box(d);
  d.validate();
  return d;
}

// ---------------------------------------------------------------------------------------------------------
// IDX

namespace {
std::uint32_t read_be32(gz_reader& r, const char* what) {
  unsigned char b[4];
  if (r.read(b, 4) != 4) throw input_error(r.name(), 0, std::string("truncated IDX header (") + what + ")");
  return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
}
}  // namespace

dataset load_idx_pair(const std::filesystem::path& images, const std::filesystem::path& labels,
                      std::size_t max_rows) {
  gz_reader ri(images), rl(labels);
  std::uint32_t mi = read_be32(ri, "magic"), ml = read_be32(rl, "magic");
  if (mi != 0x00000803)
    throw input_error(ri.name(), 0,
                      "bad IDX magic for images (expected 0x00000803, unsigned bytes × 3 dims)");
  if (ml != 0x00000801)
    throw input_error(rl.name(), 0, "bad IDX magic for labels (expected 0x00000801, unsigned bytes × 1 dim)");
  std::uint32_t n_img = read_be32(ri, "count"), h = read_be32(ri, "rows"), w = read_be32(ri, "columns");
  std::uint32_t n_lab = read_be32(rl, "count");
  if (n_img != n_lab)
    throw input_error(ri.name(), 0,
                      "holds " + std::to_string(n_img) + " images but " + rl.name() + " holds " +
                          std::to_string(n_lab) + " labels");
  if (h == 0 || w == 0 || std::uint64_t(h) * w > (1u << 24))
    throw input_error(ri.name(), 0, "bad image size");
  dataset d;
  d.name = images.string();
  d.kind = task_kind::multiclass;
  d.n_classes = 10;
  d.n = max_rows ? std::min<std::size_t>(max_rows, n_img) : n_img;
  d.d_in = std::size_t(h) * w;
  d.d_out = 1;
  // Read in batches, so a header that claims more items than the file holds is reported as truncation
  // instead of allocating for the claim.
  const std::size_t batch = std::max<std::size_t>(1, (std::size_t(1) << 20) / d.d_in);
  std::vector<unsigned char> buf(batch * d.d_in);
  // Reserve what a plausible file holds (≤ 2^26 pixels, e.g. all of Fashion-MNIST's 47M); grow beyond that.
  const std::size_t plausible =
      std::min<std::size_t>(d.n, std::max<std::size_t>(1, (std::size_t(1) << 26) / d.d_in));
  d.x.reserve(plausible * d.d_in);
  d.y.reserve(plausible);
  for (std::size_t done = 0; done < d.n;) {
    std::size_t count = std::min(batch, d.n - done);
    std::size_t got = ri.read(buf.data(), count * d.d_in);
    if (got != count * d.d_in)
      throw input_error(ri.name(), 0,
                        "truncated IDX images: expected " + std::to_string(d.n * d.d_in) +
                            " bytes of pixels, found " + std::to_string(done * d.d_in + got));
    for (std::size_t i = 0; i < got; ++i) d.x.push_back(static_cast<float>(buf[i]) / 255.0f);
    got = rl.read(buf.data(), count);
    if (got != count)
      throw input_error(rl.name(), 0,
                        "truncated IDX labels: expected " + std::to_string(d.n) + " labels, found " +
                            std::to_string(done + got));
    for (std::size_t i = 0; i < count; ++i) {
      if (buf[i] > 9)
        throw input_error(
            rl.name(), 0,
            "label " + std::to_string(buf[i]) + " of item " + std::to_string(done + i) + " is outside 0..9");
      d.y.push_back(buf[i]);
    }
    done += count;
  }
  set_unit_box(d);
  d.validate();
  return d;
}

dataset load_fashion_mnist(const std::string& split, std::size_t max_rows) {
  std::string prefix;
  if (split == "train")
    prefix = "train";
  else if (split == "test")
    prefix = "t10k";
  else
    throw input_error("fashion-mnist split must be 'train' or 'test', got '" + split + "'");
  std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
  if (const char* env = std::getenv("OCCAM_FASHION_MNIST_DIR"); env && *env) dir = env;
  auto find = [&](const std::string& stem) {
    for (const char* ext : {".gz", ""}) {
      auto p = dir / (stem + ext);
      if (std::filesystem::is_regular_file(p)) return p;
    }
    throw input_error(
        (dir / (stem + ".gz")).string(), 0,
        "Fashion-MNIST not found (install Debian's dataset-fashion-mnist or set OCCAM_FASHION_MNIST_DIR)");
  };
  dataset d =
      load_idx_pair(find(prefix + "-images-idx3-ubyte"), find(prefix + "-labels-idx1-ubyte"), max_rows);
  d.name = "fashion-mnist:" + split;
  return d;
}

// ---------------------------------------------------------------------------------------------------------
// Built-in tasks

namespace {

struct task_info {
  const char* name;
  const char* usage;
};
const task_info builtin_tasks[] = {
    {"adder-msb", "adder-msb:K (1 <= K <= 31)"},      {"parity", "parity:N (1 <= N <= 62)"},
    {"majority", "majority:N (N odd, 1 <= N <= 61)"}, {"compare", "compare:K (1 <= K <= 31)"},
    {"compose", "compose:D (2 <= D <= 4096)"},        {"sine", "sine:D (1 <= D <= 4096)"},
};

std::string valid_task_list() {
  std::string s;
  for (auto& t : builtin_tasks) s += std::string(s.empty() ? "" : ", ") + t.usage;
  return s;
}

/// Boolean task over n inputs: rows are minterms m (x_i = bit i of m), the target is f(m) ∈ {0,1}.
template <class F>
dataset boolean_task(const std::string& spec, unsigned n, const task_params& p, F f) {
  if (p.noise < 0 || p.noise > 1)
    throw input_error("noise for Boolean task " + spec + " is a flip probability in [0, 1], got " +
                      std::to_string(p.noise));
  dataset d;
  d.name = spec;
  d.kind = task_kind::binary;
  d.boolean_inputs = true;
  d.d_in = n;
  d.d_out = 1;
  const bool full = p.samples == 0 && n <= 16;
  d.n = full ? (std::size_t(1) << n) : (p.samples ? p.samples : 4096);
  d.x.resize(d.n * n);
  d.y.resize(d.n);
  // Separate streams: the sampled inputs do not change when the noise level does.
  std::uint64_t noise_seed = p.seed ^ 0x6e6f697365ull;
  rng inputs(p.seed), noise(rng::splitmix64(noise_seed));
  const std::uint64_t mask = (std::uint64_t(1) << n) - 1;
  for (std::size_t r = 0; r < d.n; ++r) {
    std::uint64_t m = full ? r : (inputs.next() & mask);
    for (unsigned i = 0; i < n; ++i) d.x[r * n + i] = static_cast<float>((m >> i) & 1u);
    bool y = f(m);
    if (p.noise > 0 && noise.uniform() < p.noise) y = !y;
    d.y[r] = y ? 1.0f : 0.0f;
  }
  set_unit_box(d);
  return d;
}

template <class F>
dataset real_task(const std::string& spec, unsigned dim, const task_params& p, F f) {
  if (!(p.noise >= 0) || !std::isfinite(p.noise))
    throw input_error("noise for task " + spec + " is a standard deviation >= 0, got " +
                      std::to_string(p.noise));
  dataset d;
  d.name = spec;
  d.kind = task_kind::regression;
  d.d_in = dim;
  d.d_out = 1;
  d.n = p.samples ? p.samples : 4096;
  d.x.resize(d.n * dim);
  d.y.resize(d.n);
  std::uint64_t noise_seed = p.seed ^ 0x6e6f697365ull;
  rng inputs(p.seed), noise(rng::splitmix64(noise_seed));
  std::vector<double> x(dim);
  for (std::size_t r = 0; r < d.n; ++r) {
    for (unsigned i = 0; i < dim; ++i) {
      // Round to float first, so the target is exactly f of the stored input.
      d.x[r * dim + i] = static_cast<float>(inputs.uniform());
      x[i] = d.x[r * dim + i];
    }
    double y = f(x.data());
    if (p.noise > 0) y += p.noise * noise.normal();
    d.y[r] = static_cast<float>(y);
  }
  set_unit_box(d);
  return d;
}

}  // namespace

std::vector<std::string> builtin_task_names() {
  std::vector<std::string> v;
  for (auto& t : builtin_tasks) v.push_back(t.usage);
  return v;
}

bool is_task_spec(const std::string& spec) {
  auto colon = spec.find(':');
  std::string head = spec.substr(0, colon);
  for (auto& t : builtin_tasks)
    if (head == t.name) return true;
  return false;
}

dataset make_task(const std::string& spec, const task_params& p) {
  auto colon = spec.find(':');
  std::string head = spec.substr(0, colon);
  if (!is_task_spec(spec))
    throw input_error("unknown task '" + spec + "' (valid tasks: " + valid_task_list() + ")");
  std::uint64_t arg = 0;
  if (colon == std::string::npos || !parse_uint(spec.substr(colon + 1), arg))
    throw input_error("task '" + spec +
                      "' needs a positive integer argument (valid tasks: " + valid_task_list() + ")");
  auto bad = [&](const std::string& why) {
    return input_error("bad task '" + spec + "': " + why + " (valid tasks: " + valid_task_list() + ")");
  };
  dataset d;
  if (head == "parity") {
    if (arg < 1 || arg > 62) throw bad("N must be in 1..62");
    d = boolean_task(spec, unsigned(arg), p,
                     [](std::uint64_t m) { return __builtin_popcountll(m) % 2 == 1; });
  } else if (head == "majority") {
    if (arg < 1 || arg > 61 || arg % 2 == 0) throw bad("N must be odd and in 1..61");
    unsigned n = unsigned(arg);
    d = boolean_task(spec, n, p, [n](std::uint64_t m) { return unsigned(__builtin_popcountll(m)) > n / 2; });
  } else if (head == "adder-msb") {
    if (arg < 1 || arg > 31) throw bad("K must be in 1..31");
    unsigned k = unsigned(arg);
    const std::uint64_t low = (std::uint64_t(1) << k) - 1;
    // a = x_0..x_{K-1}, b = x_K..x_{2K-1} (least significant bit first); target: bit K of a + b (the carry).
    d = boolean_task(spec, 2 * k, p,
                     [k, low](std::uint64_t m) { return (((m & low) + (m >> k)) >> k) & 1u; });
  } else if (head == "compare") {
    if (arg < 1 || arg > 31) throw bad("K must be in 1..31");
    unsigned k = unsigned(arg);
    const std::uint64_t low = (std::uint64_t(1) << k) - 1;
    // a = x_0..x_{K-1}, b = x_K..x_{2K-1} (least significant bit first); target: a > b (unsigned).
    d = boolean_task(spec, 2 * k, p, [k, low](std::uint64_t m) { return (m & low) > (m >> k); });
  } else if (head == "compose") {
    if (arg < 2 || arg > 4096) throw bad("D must be in 2..4096");
    unsigned dim = unsigned(arg);
    // f(x) = sin(2π (x_1 x_2 + s)) · exp(−s), s = (x_1 + … + x_D)/D: smooth pieces of dimension ≤ 2.
    d = real_task(spec, dim, p, [dim](const double* x) {
      double s = 0;
      for (unsigned i = 0; i < dim; ++i) s += x[i];
      s /= dim;
      return std::sin(two_pi * (x[0] * x[1] + s)) * std::exp(-s);
    });
  } else {  // sine
    if (arg < 1 || arg > 4096) throw bad("D must be in 1..4096");
    unsigned dim = unsigned(arg);
    // f(x) = sin(2π (x_1 + … + x_D)/√D): a ridge function along the diagonal.
    d = real_task(spec, dim, p, [dim](const double* x) {
      double s = 0;
      for (unsigned i = 0; i < dim; ++i) s += x[i];
      return std::sin(two_pi * s / std::sqrt(double(dim)));
    });
  }
  d.validate();
  return d;
}

// ---------------------------------------------------------------------------------------------------------
// Dispatch

dataset load_dataset(const std::string& spec, const load_params& p) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(spec, ec)) {
    std::string l = lower(fs::path(spec).filename().string());
    std::string base = ends_with(l, ".gz") ? l.substr(0, l.size() - 3) : l;
    if (ends_with(base, ".csv") || ends_with(base, ".tsv") || ends_with(base, ".txt") ||
        ends_with(base, ".data")) {
      return load_csv(spec, p);
    }
    if (ends_with(base, ".npy")) return load_npy_dataset(spec, p);
    if (ends_with(base, ".pla")) return load_pla_dataset(spec);
    if (ends_with(base, ".truth")) return load_truth_table(spec);
    if (base.find("-ubyte") != std::string::npos || ends_with(base, ".idx3") ||
        base.find("idx3") != std::string::npos) {
      std::string labels = p.targets_path;
      if (labels.empty()) {
        fs::path pth(spec);
        std::string f = pth.filename().string();
        for (auto [from, to] : {std::pair<std::string, std::string>{"images", "labels"}, {"idx3", "idx1"}}) {
          auto pos = f.find(from);
          if (pos != std::string::npos) f.replace(pos, from.size(), to);
        }
        labels = (pth.parent_path() / f).string();
        if (labels == spec)
          throw input_error(spec, 0, "cannot guess the IDX labels file; pass it as the targets file");
      }
      return load_idx_pair(spec, labels, p.max_rows);
    }
    throw input_error(
        spec, 0,
        "unknown data format (by extension; known: .csv .tsv .txt .data [.gz], .npy, .pla, .truth, "
        "IDX *-idx3-ubyte[.gz])");
  }
  if (spec.rfind("fashion-mnist:", 0) == 0) return load_fashion_mnist(spec.substr(14), p.max_rows);
  if (is_task_spec(spec)) return make_task(spec, p.task);
  if (fs::exists(spec, ec)) throw input_error(spec, 0, "not a regular file");
  throw input_error(spec, 0,
                    "no such file, and not a built-in task (valid tasks: " + valid_task_list() +
                        ", fashion-mnist:train|test)");
}

}  // namespace occam::data
