// THEORY §9: the linear-minimisation oracle over Tetrakis circuit atoms, away-step / pairwise Frank–Wolfe
// with exact line search, the model (evaluation, JSON + AIGER), and its compilation to one AIG.
#include "occam/fw/fw.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "occam/circuit/arith.hpp"
#include "occam/circuit/io.hpp"
#include "occam/tetrakis/tetrakis.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::fw {

double atom_gauge(std::size_t gates, double gamma, const atom_cost& cost) {
  return std::pow(1.0 + cost.constant + cost.per_gate * double(gates), 1.0 / gamma);
}

gauge_kind parse_gauge_kind(const std::string& name) {
  if (name == "gates") return gauge_kind::gates;
  if (name == "real-to-bin" || name == "real_to_bin") return gauge_kind::real_to_bin;
  throw input_error("unknown gauge '" + name + "' (expected gates or real-to-bin)");
}

const char* to_string(gauge_kind g) {
  return g == gauge_kind::gates ? "gates" : "real-to-bin";
}

atom_cost level_atom_cost(gauge_kind kind, std::size_t dims, unsigned level, unsigned input_bits) {
  if (kind == gauge_kind::gates) return {};
  if (input_bits < level)
    throw input_error(fmt::format("the real-to-bin gauge needs at least {} input bits for level {} (got {})",
                                  level, level, input_bits));
  return {double(dims + 1), double(tetrakis::location_cost(dims, level, input_bits))};
}

oracle_kind parse_oracle_kind(const std::string& name) {
  if (name == "exact") return oracle_kind::exact;
  if (name == "greedy") return oracle_kind::greedy;
  if (name == "auto" || name == "automatic") return oracle_kind::automatic;
  throw input_error("unknown oracle '" + name + "' (expected exact, greedy or auto)");
}

// ---------------------------------------------------------------------------------------------------------
// Oracle

namespace {

/// Σ over set bits of a bit vector by byte lookup tables: tables[b][x] = Σ_{i ∈ x} weights[8b + i].
struct byte_sums {
  std::vector<std::array<double, 256>> tables;
  double total = 0;
  explicit byte_sums(const std::vector<double>& w) {
    std::size_t nb = (w.size() + 7) / 8;
    tables.resize(nb);
    for (std::size_t b = 0; b < nb; ++b) {
      auto& t = tables[b];
      t[0] = 0;
      for (unsigned x = 1; x < 256; ++x) {
        unsigned low = unsigned(__builtin_ctz(x));
        std::size_t idx = 8 * b + low;
        t[x] = t[x & (x - 1)] + (idx < w.size() ? w[idx] : 0.0);
      }
    }
    for (double v : w) total += v;
  }
  /// Σ_{i ∈ bits} w_i for a bit vector stored in 64-bit words.
  double sum(const std::uint64_t* bits) const {
    double s = 0;
    for (std::size_t b = 0; b < tables.size(); ++b) s += tables[b][(bits[b / 8] >> (8 * (b % 8))) & 0xFFu];
    return s;
  }
  double sum(std::uint64_t bits) const {
    double s = 0;
    for (std::size_t b = 0; b < tables.size() && b < 8; ++b) s += tables[b][(bits >> (8 * b)) & 0xFFu];
    return s;
  }
  /// Σ_v w_v (2 bit_v − 1).
  double score(const std::uint64_t* bits) const { return 2 * sum(bits) - total; }
};

/// Next combination of k out of n (indices increasing); false after the last.
bool next_combination(std::vector<std::uint32_t>& c, std::uint32_t n) {
  std::size_t k = c.size();
  for (std::size_t i = k; i-- > 0;) {
    if (c[i] < n - k + i) {
      ++c[i];
      for (std::size_t j = i + 1; j < k; ++j) c[j] = c[j - 1] + 1;
      return true;
    }
  }
  return false;
}

inline std::uint32_t extract_bits(std::uint64_t x, const std::vector<std::uint32_t>& subset) {
  std::uint32_t p = 0;
  for (std::size_t j = 0; j < subset.size(); ++j) p |= std::uint32_t((x >> subset[j]) & 1u) << j;
  return p;
}

std::vector<std::uint64_t> vertex_bits_of(const small_circuit& c, const oracle_problem& p) {
  std::size_t V = p.inputs.size(), words = (V + 63) / 64;
  std::vector<std::vector<std::uint64_t>> in(c.inputs, std::vector<std::uint64_t>(words, 0));
  for (std::size_t v = 0; v < V; ++v)
    for (unsigned i = 0; i < c.inputs; ++i)
      if ((p.inputs[v] >> i) & 1u) in[i][v / 64] |= std::uint64_t(1) << (v % 64);
  auto out = c.simulate(in);
  if (V % 64) out.back() &= (std::uint64_t(1) << (V % 64)) - 1;
  return out;
}

void check_problem(const oracle_problem& p) {
  if (p.num_inputs > 63) throw input_error("oracle: at most 63 circuit inputs");
  if (p.inputs.size() != p.weights.size()) throw input_error("oracle: one weight per vertex needed");
}

/// A composed candidate of the greedy oracle.
struct candidate {
  std::vector<std::uint64_t> bits;
  small_circuit circuit;
  std::size_t gates = 0;
};

/// c1^a AND c2^b on the same inputs (gate lists concatenated).
small_circuit compose_and(const small_circuit& c1, bool a, const small_circuit& c2, bool b) {
  small_circuit r = c1;
  const std::uint32_t m = c1.inputs, off = std::uint32_t(c1.gates.size());
  auto re = [&](std::uint32_t k) { return k < m ? k : k + off; };
  for (const auto& g : c2.gates) r.gates.push_back({re(g.a), re(g.b), g.op});
  // Both outputs are nodes (constants are never composed).
  std::uint32_t o1 = std::uint32_t(c1.output), o2 = re(std::uint32_t(c2.output));
  bool n1 = c1.output_complemented != a, n2 = c2.output_complemented != b;
  if (o1 == o2) {  // same node: AND(x, x) = x or AND(x, ¬x) = 0 — never better than its parts; skip upstream
    r.output = o1;
    r.output_complemented = n1;
    return r;
  }
  r.gates.push_back({o1, o2, std::uint8_t((n1 ? 1 : 0) | (n2 ? 2 : 0))});
  r.output = std::int64_t(m + r.gates.size() - 1);
  r.output_complemented = false;
  return r;
}

}  // namespace

const function_library& oracle::library(unsigned inputs, unsigned gates) {
  auto key = std::make_pair(inputs, gates);
  auto it = libraries_.find(key);
  if (it == libraries_.end()) {
    enumerate_params ep;
    ep.inputs = inputs;
    ep.max_gates = gates;
    ep.basis = gate_basis::aig;
    it = libraries_.emplace(key, std::make_unique<function_library>(enumerate_functions(ep))).first;
  }
  return *it->second;
}

oracle_result oracle::solve_exact(const oracle_problem& p, unsigned gates, double gamma,
                                  const atom_cost& cost, oracle_stats* st, std::vector<oracle_result>* top,
                                  std::size_t keep_top) {
  const unsigned m = p.num_inputs;
  const unsigned mp = std::min(m, gates + 1);  // a circuit with s ANDs reads at most s + 1 inputs
  if (mp > 6)
    throw input_error(fmt::format("exact oracle: at most 5 gates (got {}); use the greedy oracle", gates));
  const function_library& lib = library(mp, gates);
  std::vector<double> gauge(gates + 1);
  for (unsigned c = 0; c <= gates; ++c) gauge[c] = atom_gauge(c, gamma, cost);
  struct hit {
    double ratio, score;
    std::size_t function;
    std::vector<std::uint32_t> subset;
  };
  std::vector<hit> best;  // sorted by ratio, descending, at most max(1, keep_top)
  const std::size_t keep = std::max<std::size_t>(1, keep_top);
  std::vector<std::uint32_t> subset(mp);
  for (unsigned j = 0; j < mp; ++j) subset[j] = j;
  std::vector<double> projected(std::size_t(1) << mp);
  std::uint64_t scored = 0;
  do {
    std::fill(projected.begin(), projected.end(), 0.0);
    for (std::size_t v = 0; v < p.inputs.size(); ++v)
      projected[extract_bits(p.inputs[v], subset)] += p.weights[v];
    byte_sums sums(projected);
    for (std::size_t f = 0; f < lib.functions.size(); ++f) {
      const auto& e = lib.functions[f];
      double score = 2 * sums.sum(e.table) - sums.total;
      double ratio = std::fabs(score) / gauge[e.cost];
      ++scored;
      if (best.size() < keep || ratio > best.back().ratio) {
        hit h{ratio, score, f, subset};
        auto pos = std::upper_bound(best.begin(), best.end(), h,
                                    [](const hit& a, const hit& b) { return a.ratio > b.ratio; });
        best.insert(pos, std::move(h));
        if (best.size() > keep) best.pop_back();
      }
    }
  } while (mp > 0 && next_combination(subset, m));
  if (st) st->candidates += scored;
  auto materialise = [&](const hit& h) {
    oracle_result r;
    const auto& e = lib.functions[h.function];
    r.circuit = e.circuit.remap_inputs(h.subset, m);
    r.gates = e.cost;
    r.vertex_bits = vertex_bits_of(r.circuit, p);
    byte_sums all(p.weights);
    r.score = all.score(r.vertex_bits.data());
    r.ratio = std::fabs(r.score) / gauge[e.cost];
    return r;
  };
  if (top) {
    top->clear();
    for (const auto& h : best) top->push_back(materialise(h));
  }
  return materialise(best.front());
}

oracle_result oracle::solve_greedy(const oracle_problem& p, const oracle_params& params, oracle_stats* st) {
  const unsigned exact_gates = std::min(params.exact_gates, params.max_gates);
  std::vector<oracle_result> starts;
  oracle_result best =
      solve_exact(p, exact_gates, params.gamma, params.cost, st, &starts, params.greedy_starts);
  if (params.max_gates <= exact_gates) return best;
  // The pool: every function with ≤ 2 gates (≤ 3 inputs) on every subset of the inputs, as vertex bit
  // vectors, deduplicated.
  const unsigned m = p.num_inputs, pool_gates = std::min(2u, exact_gates);
  const unsigned mp = std::min(m, pool_gates + 1);
  const function_library& lib = library(mp, pool_gates);
  const std::size_t V = p.inputs.size(), words = (V + 63) / 64;
  // Pools depend only on the vertices' input patterns, so Frank–Wolfe's repeated calls reuse them.
  auto pool_key = std::make_pair(m * 8 + pool_gates, p.inputs);
  auto found = pools_.find(pool_key);
  if (found == pools_.end()) {
    auto fresh = std::make_shared<std::vector<candidate>>();
    std::vector<candidate>& pool = *fresh;
    std::unordered_map<std::string, std::size_t> seen;
    std::vector<std::uint32_t> subset(mp);
    for (unsigned j = 0; j < mp; ++j) subset[j] = j;
    do {
      std::vector<std::uint32_t> pattern(V);
      for (std::size_t v = 0; v < V; ++v) pattern[v] = extract_bits(p.inputs[v], subset);
      for (const auto& e : lib.functions) {
        if (e.circuit.output < 0) continue;  // constants
        candidate c;
        c.bits.assign(words, 0);
        for (std::size_t v = 0; v < V; ++v)
          if ((e.table >> pattern[v]) & 1u) c.bits[v / 64] |= std::uint64_t(1) << (v % 64);
        std::string key(reinterpret_cast<const char*>(c.bits.data()), words * 8);
        if (!seen.emplace(key, pool.size()).second) continue;
        c.circuit = e.circuit.remap_inputs(subset, m);
        c.gates = e.cost;
        pool.push_back(std::move(c));
      }
    } while (mp > 0 && next_combination(subset, m));
    if (pools_.size() > 16) pools_.clear();
    found = pools_.emplace(pool_key, std::static_pointer_cast<void>(fresh)).first;
  }
  const auto& pool = *std::static_pointer_cast<std::vector<candidate>>(found->second);
  byte_sums sums(p.weights);
  const std::uint64_t tail = V % 64 ? (std::uint64_t(1) << (V % 64)) - 1 : ~std::uint64_t(0);
  std::vector<std::uint64_t> trial(words);
  for (const auto& s : starts) {
    if (s.circuit.output < 0) continue;
    candidate cur{s.vertex_bits, s.circuit, s.gates};
    double cur_abs = std::fabs(s.score);
    while (true) {
      double next_abs = cur_abs;
      const candidate* pick = nullptr;
      bool pick_a = false, pick_b = false;
      for (const auto& g : pool) {
        if (cur.gates + g.gates + 1 > params.max_gates) continue;
        if (cur.gates == 0 && g.gates == 0) continue;  // two literals: in the exact dictionary already
        for (int pol = 0; pol < 4; ++pol) {
          const bool a = pol & 1, b = pol & 2;
          for (std::size_t w = 0; w < words; ++w)
            trial[w] = (a ? ~cur.bits[w] : cur.bits[w]) & (b ? ~g.bits[w] : g.bits[w]);
          trial[words - 1] &= tail;
          double sc = std::fabs(sums.score(trial.data()));
          if (st) ++st->candidates;
          if (sc > next_abs * (1 + 1e-12) + 1e-300) {
            next_abs = sc;
            pick = &g;
            pick_a = a;
            pick_b = b;
          }
        }
      }
      if (!pick) break;
      cur.circuit = compose_and(cur.circuit, pick_a, pick->circuit, pick_b);
      cur.gates = cur.circuit.size();
      cur.bits = vertex_bits_of(cur.circuit, p);
      cur_abs = next_abs;
      double score = sums.score(cur.bits.data());
      double ratio = std::fabs(score) / atom_gauge(cur.gates, params.gamma, params.cost);
      if (ratio > best.ratio) {
        best.circuit = cur.circuit;
        best.gates = cur.gates;
        best.score = score;
        best.ratio = ratio;
        best.vertex_bits = cur.bits;
      }
    }
  }
  return best;
}

oracle_result oracle::solve(const oracle_problem& p, const oracle_params& params, oracle_stats* st) {
  check_problem(p);
  if (p.inputs.empty()) throw input_error("oracle: no vertices");
  if (!(params.gamma > 0)) throw input_error("oracle: gamma must be positive");
  bool exact = params.kind == oracle_kind::exact ||
               (params.kind == oracle_kind::automatic && params.max_gates <= params.exact_gates);
  if (exact) return solve_exact(p, params.max_gates, params.gamma, params.cost, st, nullptr, 1);
  return solve_greedy(p, params, st);
}

// ---------------------------------------------------------------------------------------------------------
// Grid vertices and the model

std::size_t vertex_count(std::size_t dims, unsigned level) {
  std::size_t side = (std::size_t(1) << level) + 1, n = 1;
  for (std::size_t i = 0; i < dims; ++i) n *= side;
  return n;
}

std::uint64_t vertex_pattern(std::size_t vertex, std::size_t dims, unsigned level) {
  const std::size_t side = (std::size_t(1) << level) + 1;
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < dims; ++i) {
    std::uint64_t coord = vertex % side;
    vertex /= side;
    bits |= coord << (i * (level + 1));  // bit b of coordinate i is input i·(k+1) + b
  }
  return bits;
}

namespace {

/// Per level: the simplex vertices (linear numbers) and weights μ of every data point.
struct located_points {
  unsigned level = 0;
  std::size_t dims = 0, n = 0;
  std::vector<std::uint32_t> vertex;  ///< n × (d+1)
  std::vector<double> mu;             ///< n × (d+1)
};

template <class T>
located_points locate_points(const std::vector<T>& x, std::size_t n, std::size_t d, unsigned level,
                             const std::vector<double>& lo, const std::vector<double>& hi) {
  located_points L;
  L.level = level;
  L.dims = d;
  L.n = n;
  L.vertex.resize(n * (d + 1));
  L.mu.resize(n * (d + 1));
  tetrakis::grid_map map;
  map.level = level;
  map.lo = lo;
  map.hi = hi;
  const std::size_t side = (std::size_t(1) << level) + 1;
  std::vector<double> xr(d), u(d);
  tetrakis::simplex sx;
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t i = 0; i < d; ++i) xr[i] = double(x[r * d + i]);
    map.to_grid(xr.data(), u.data());
    tetrakis::locate(u.data(), d, level, sx);
    for (std::size_t j = 0; j <= d; ++j) {
      std::size_t num = 0, stride = 1;
      for (std::size_t i = 0; i < d; ++i) {
        num += std::size_t(sx.vertex(j, i)) * stride;
        stride *= side;
      }
      L.vertex[r * (d + 1) + j] = std::uint32_t(num);
      L.mu[r * (d + 1) + j] = sx.weights[j];
    }
  }
  return L;
}

std::vector<std::int8_t> vertex_values(const small_circuit& c, std::size_t dims, unsigned level) {
  std::size_t V = vertex_count(dims, level);
  oracle_problem p;
  p.num_inputs = unsigned(dims * (level + 1));
  for (std::size_t v = 0; v < V; ++v) p.inputs.push_back(vertex_pattern(v, dims, level));
  p.weights.assign(V, 0.0);
  auto bits = vertex_bits_of(c, p);
  std::vector<std::int8_t> out(V);
  for (std::size_t v = 0; v < V; ++v) out[v] = ((bits[v / 64] >> (v % 64)) & 1u) ? 1 : -1;
  return out;
}

template <class T>
std::vector<double> evaluate_model(const fw_model& m, const std::vector<T>& x, std::size_t n) {
  if (x.size() != n * m.dims)
    throw input_error("fw model: expected " + std::to_string(m.dims) + " inputs per row");
  std::vector<double> f(n, 0.0);
  std::vector<unsigned> levels;
  for (const auto& a : m.atoms) levels.push_back(a.level);
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  for (unsigned k : levels) {
    located_points L = locate_points(x, n, m.dims, k, m.lo, m.hi);
    // The level's vertex function D_k(v) = Σ_{atoms at k} w_j C_j(v), then its Tetrakis interpolation.
    std::vector<double> D(vertex_count(m.dims, k), 0.0);
    for (const auto& a : m.atoms)
      if (a.level == k)
        for (std::size_t v = 0; v < D.size(); ++v) D[v] += a.weight * a.vertex_values[v];
    const std::size_t d1 = m.dims + 1;
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t j = 0; j < d1; ++j) f[r] += L.mu[r * d1 + j] * D[L.vertex[r * d1 + j]];
  }
  return f;
}

}  // namespace

std::vector<double> fw_model::evaluate(const std::vector<float>& x, std::size_t n) const {
  return evaluate_model(*this, x, n);
}
std::vector<double> fw_model::evaluate(const std::vector<double>& x, std::size_t n) const {
  return evaluate_model(*this, x, n);
}

double fw_model::atom_gauge_of(std::size_t j) const {
  const auto& a = atoms.at(j);
  return atom_gauge(a.circuit.size(), gamma, level_atom_cost(gauge, dims, a.level, gauge_input_bits));
}

std::size_t fw_model::atom_gates() const {
  std::size_t s = 0;
  for (const auto& a : atoms) s += a.circuit.size();
  return s;
}

unsigned fw_model::max_level() const {
  unsigned k = 0;
  for (const auto& a : atoms) k = std::max(k, a.level);
  return k;
}

void fw_model::refresh_vertex_values() {
  for (auto& a : atoms) a.vertex_values = vertex_values(a.circuit, dims, a.level);
}

double mean_squared_error(const fw_model& m, const data::dataset& d) {
  if (d.n == 0) return 0;
  auto f = m.evaluate(d.x, d.n);
  double s = 0;
  for (std::size_t r = 0; r < d.n; ++r) s += (f[r] - d.y[r * d.d_out]) * (f[r] - d.y[r * d.d_out]);
  return s / double(d.n);
}

void save_model(const fw_model& m, const std::filesystem::path& dir) {
  nlohmann::json j;
  j["format"] = "occam-fw-1";
  j["dims"] = m.dims;
  j["lo"] = m.lo;
  j["hi"] = m.hi;
  j["tau"] = m.tau;
  j["gamma"] = m.gamma;
  j["max_gates"] = m.max_gates;
  j["gauge"] = to_string(m.gauge);
  j["gauge_input_bits"] = m.gauge_input_bits;
  j["definition"] = "f(x) = sum_j weight_j * T_{C_j}(x); C_j: d*(level+1) inputs, one output decoded as +-1";
  nlohmann::json atoms = nlohmann::json::array();
  for (std::size_t a = 0; a < m.atoms.size(); ++a) {
    const auto& at = m.atoms[a];
    nlohmann::json ja;
    ja["level"] = at.level;
    ja["weight"] = at.weight;
    ja["ands"] = at.circuit.size();
    ja["inputs"] = at.circuit.inputs;
    nlohmann::json gates = nlohmann::json::array();
    for (const auto& g : at.circuit.gates) gates.push_back({g.a, g.b, g.op});
    ja["gates"] = gates;
    ja["output"] = at.circuit.output;
    ja["output_complemented"] = at.circuit.output_complemented;
    std::string file = fmt::format("atoms/atom_{:03d}.aag", a);
    ja["aiger"] = file;
    atoms.push_back(ja);
    circuit::aig g = at.circuit.to_aig();
    g.comment = fmt::format("occam fw atom {}: level {}, weight {:.17g}", a, at.level, at.weight);
    write_file_atomic(dir / file, [&](std::ostream& os) { circuit::write_aiger_ascii(g, os); });
  }
  j["atoms"] = atoms;
  write_file_atomic(dir / "model.json", j.dump(1) + "\n");
  // Atom files of an earlier, larger model in the same directory would be misleading: remove them.
  std::error_code ec;
  for (std::size_t a = m.atoms.size();; ++a) {
    auto stale = dir / fmt::format("atoms/atom_{:03d}.aag", a);
    if (!std::filesystem::exists(stale, ec)) break;
    std::filesystem::remove(stale, ec);
  }
}

fw_model load_model(const std::filesystem::path& dir) {
  const std::string file = (dir / "model.json").string();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(dir / "model.json"));
  } catch (const nlohmann::json::exception& e) {
    throw input_error(file, 0, std::string("not valid JSON: ") + e.what());
  }
  fw_model m;
  try {
    if (j.at("format") != "occam-fw-1") throw input_error(file, 0, "not an occam fw model");
    m.dims = j.at("dims").get<std::size_t>();
    m.lo = j.at("lo").get<std::vector<double>>();
    m.hi = j.at("hi").get<std::vector<double>>();
    m.tau = j.at("tau").get<double>();
    m.gamma = j.at("gamma").get<double>();
    m.max_gates = j.at("max_gates").get<unsigned>();
    // Models written before the gauge was recorded used ν = (1 + |C|)^{1/γ}.
    m.gauge = parse_gauge_kind(j.value("gauge", std::string("gates")));
    m.gauge_input_bits = j.value("gauge_input_bits", 0u);
    if (m.dims == 0 || m.lo.size() != m.dims || m.hi.size() != m.dims)
      throw input_error(file, 0, "lo/hi must have dims entries");
    for (const auto& ja : j.at("atoms")) {
      fw_atom a;
      a.level = ja.at("level").get<unsigned>();
      a.weight = ja.at("weight").get<double>();
      a.circuit.inputs = ja.at("inputs").get<unsigned>();
      if (a.level > 20 || a.circuit.inputs != m.dims * (a.level + 1) || a.circuit.inputs > 63)
        throw input_error(file, 0, "atom inputs must be dims·(level+1)");
      for (const auto& g : ja.at("gates")) {
        small_gate sg{g.at(0).get<std::uint32_t>(), g.at(1).get<std::uint32_t>(),
                      g.at(2).get<std::uint8_t>()};
        std::uint32_t limit = a.circuit.inputs + std::uint32_t(a.circuit.gates.size());
        if (sg.a >= limit || sg.b >= limit || sg.op > 3) throw input_error(file, 0, "bad atom gate");
        a.circuit.gates.push_back(sg);
      }
      a.circuit.output = ja.at("output").get<std::int64_t>();
      if (a.circuit.output >= std::int64_t(a.circuit.inputs + a.circuit.gates.size()))
        throw input_error(file, 0, "bad atom output");
      a.circuit.output_complemented = ja.at("output_complemented").get<bool>();
      m.atoms.push_back(std::move(a));
    }
  } catch (const nlohmann::json::exception& e) {
    throw input_error(file, 0, std::string("malformed model: ") + e.what());
  }
  m.refresh_vertex_values();
  return m;
}

// ---------------------------------------------------------------------------------------------------------
// Frank–Wolfe

namespace {

struct active_atom {
  std::size_t level_index = 0;
  small_circuit circuit;
  std::size_t gates = 0;
  double nu = 1;
  int sign = 1;
  std::vector<std::uint64_t> vertex_bits;
  std::vector<double> values;  ///< a(x_i) = sign · T_C(x_i) / ν
  double lambda = 0;
};

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

fw_model frank_wolfe(const data::dataset& train, const fw_params& P, fw_stats* stats,
                     const std::function<void(const fw_iteration&)>& on_iteration) {
  if (train.kind != data::task_kind::regression || train.d_out != 1)
    throw input_error(train.name, 0, "Frank–Wolfe needs regression data with one target");
  if (train.n == 0) throw input_error(train.name, 0, "no training rows");
  if (P.levels.empty()) throw input_error("Frank–Wolfe: no levels");
  if (!(P.tau > 0) || !std::isfinite(P.tau)) throw input_error("Frank–Wolfe: tau must be positive");
  const std::size_t d = train.d_in, n = train.n, d1 = d + 1;
  for (unsigned k : P.levels)
    if (k > 20 || d * (k + 1) > 63 || vertex_count(d, k) > (std::size_t(1) << 22))
      throw input_error(fmt::format("Frank–Wolfe: level {} in {} dimensions is too large", k, d));
  auto start = std::chrono::steady_clock::now();

  fw_model model;
  model.dims = d;
  model.lo.assign(train.input_box.lo.begin(), train.input_box.lo.end());
  model.hi.assign(train.input_box.hi.begin(), train.input_box.hi.end());
  model.tau = P.tau;
  model.gamma = P.oracle.gamma;
  model.max_gates = P.oracle.max_gates;
  model.gauge = P.gauge;
  model.gauge_input_bits = P.gauge == gauge_kind::real_to_bin ? P.input_bits : 0;
  std::vector<oracle_params> level_oracle;
  for (unsigned k : P.levels) {
    level_oracle.push_back(P.oracle);
    level_oracle.back().cost = level_atom_cost(P.gauge, d, k, P.input_bits);
  }

  std::vector<located_points> located;
  std::vector<oracle_problem> problems;
  for (unsigned k : P.levels) {
    located.push_back(locate_points(train.x, n, d, k, model.lo, model.hi));
    oracle_problem p;
    p.num_inputs = unsigned(d * (k + 1));
    std::size_t V = vertex_count(d, k);
    for (std::size_t v = 0; v < V; ++v) p.inputs.push_back(vertex_pattern(v, d, k));
    p.weights.assign(V, 0.0);
    problems.push_back(std::move(p));
  }
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = train.y[i * train.d_out];

  oracle orc;
  std::vector<active_atom> active;
  double lambda_zero = 1;  // the zero vector, a point of τ·conv(A) since A is symmetric
  std::vector<double> f(n, 0.0), r(n), grad(n), dir(n);
  fw_stats local;
  fw_stats& S = stats ? *stats : local;
  S = fw_stats{};

  for (unsigned t = 0; t < P.iterations; ++t) {
    auto t0 = std::chrono::steady_clock::now();
    // f_t from the weights (no drift), residual, gradient g_i = 2 (f_i − y_i) / n.
    std::fill(f.begin(), f.end(), 0.0);
    for (const auto& a : active)
      for (std::size_t i = 0; i < n; ++i) f[i] += P.tau * a.lambda * a.values[i];
    double L = 0;
    for (std::size_t i = 0; i < n; ++i) {
      r[i] = f[i] - y[i];
      L += r[i] * r[i];
      grad[i] = 2 * r[i] / double(n);
    }
    L /= double(n);
    // Oracle per level: c_v = −Σ_i g_i μ_v(x_i).
    oracle_result best;
    std::size_t best_level = 0;
    bool have = false;
    for (std::size_t l = 0; l < problems.size(); ++l) {
      auto& p = problems[l];
      std::fill(p.weights.begin(), p.weights.end(), 0.0);
      const auto& Lp = located[l];
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d1; ++j) p.weights[Lp.vertex[i * d1 + j]] -= grad[i] * Lp.mu[i * d1 + j];
      oracle_result res = orc.solve(p, level_oracle[l]);
      ++S.oracle_calls;
      if (!have || res.ratio > best.ratio) {
        best = std::move(res);
        best_level = l;
        have = true;
      }
    }
    active_atom cand;
    cand.level_index = best_level;
    cand.circuit = best.circuit;
    cand.gates = best.gates;
    cand.nu = atom_gauge(best.gates, P.oracle.gamma, level_oracle[best_level].cost);
    cand.sign = best.score >= 0 ? 1 : -1;
    cand.vertex_bits = best.vertex_bits;
    cand.values.assign(n, 0.0);
    {
      const auto& Lp = located[best_level];
      for (std::size_t i = 0; i < n; ++i) {
        double T = 0;
        for (std::size_t j = 0; j < d1; ++j) {
          std::uint32_t v = Lp.vertex[i * d1 + j];
          T += Lp.mu[i * d1 + j] * (((cand.vertex_bits[v / 64] >> (v % 64)) & 1u) ? 1.0 : -1.0);
        }
        cand.values[i] = cand.sign * T / cand.nu;
      }
    }
    // Duality gap ⟨g, f − s⟩ with s = τ·a (THEORY §9); ≥ L − L* when the oracle is exact.
    const double g_f = dot(grad, f), g_s = P.tau * dot(grad, cand.values);
    fw_iteration it;
    it.iteration = t;
    it.objective = L;
    it.gap = g_f - g_s;
    it.oracle_level = P.levels[best_level];
    it.oracle_gates = best.gates;
    if (P.gap_tolerance > 0 && it.gap <= P.gap_tolerance) {
      it.atoms = active.size();
      it.step = "stop";
      it.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      S.log.push_back(it);
      if (on_iteration) on_iteration(it);
      break;
    }
    // Existing copy of the candidate?
    std::size_t cand_index = active.size();
    for (std::size_t a = 0; a < active.size(); ++a)
      if (active[a].level_index == cand.level_index && active[a].sign == cand.sign &&
          active[a].vertex_bits == cand.vertex_bits) {
        cand_index = a;
        break;
      }
    // Away atom: the active vertex (zero included) with the largest ⟨g, τ a⟩.
    long away = -2;  // -2 none, -1 the zero vector
    double g_away = -std::numeric_limits<double>::infinity();
    if (lambda_zero > 0) {
      away = -1;
      g_away = 0;
    }
    for (std::size_t a = 0; a < active.size(); ++a) {
      double ga = P.tau * dot(grad, active[a].values);
      if (active[a].lambda > 0 && ga > g_away) {
        g_away = ga;
        away = long(a);
      }
    }
    const double away_lambda = away == -1 ? lambda_zero : away >= 0 ? active[std::size_t(away)].lambda : 0;
    auto away_value = [&](std::size_t i) {
      return away >= 0 ? P.tau * active[std::size_t(away)].values[i] : 0.0;
    };
    enum { fw_step, away_step, pairwise_step } kind = fw_step;
    double gamma_max = 1;
    if (P.pairwise && away != -2) {
      kind = pairwise_step;
      gamma_max = away_lambda;
      for (std::size_t i = 0; i < n; ++i) dir[i] = P.tau * cand.values[i] - away_value(i);
    } else {
      // Frank–Wolfe direction s − f versus away direction f − a (Lacoste-Julien & Jaggi): take the steeper.
      double fw_slope = g_f - g_s;       // −⟨g, s − f⟩
      double away_slope = g_away - g_f;  // −⟨g, f − a⟩
      if (P.away_steps && away != -2 && away_slope > fw_slope && away_lambda < 1) {
        kind = away_step;
        gamma_max = away_lambda / (1 - away_lambda);
        for (std::size_t i = 0; i < n; ++i) dir[i] = f[i] - away_value(i);
      } else {
        for (std::size_t i = 0; i < n; ++i) dir[i] = P.tau * cand.values[i] - f[i];
      }
    }
    // Exact line search on the quadratic: L(f + γ d) is minimal at γ = −⟨r, d⟩ / ⟨d, d⟩.
    const double dd = dot(dir, dir);
    double step = dd > 0 ? -dot(r, dir) / dd : 0;
    step = std::max(0.0, std::min(step, gamma_max));
    if (kind == fw_step) {
      for (auto& a : active) a.lambda *= (1 - step);
      lambda_zero *= (1 - step);
      if (cand_index == active.size()) active.push_back(std::move(cand));
      active[cand_index].lambda += step;
      it.step = "fw";
    } else if (kind == away_step) {
      for (auto& a : active) a.lambda *= (1 + step);
      lambda_zero *= (1 + step);
      if (away == -1)
        lambda_zero = step >= gamma_max ? 0 : lambda_zero - step;
      else
        active[std::size_t(away)].lambda = step >= gamma_max ? 0 : active[std::size_t(away)].lambda - step;
      it.step = step >= gamma_max ? "drop" : "away";
    } else {
      if (away == -1)
        lambda_zero = step >= gamma_max ? 0 : lambda_zero - step;
      else
        active[std::size_t(away)].lambda = step >= gamma_max ? 0 : active[std::size_t(away)].lambda - step;
      if (cand_index == active.size()) active.push_back(std::move(cand));
      active[cand_index].lambda += step;
      it.step = "pairwise";
    }
    active.erase(
        std::remove_if(active.begin(), active.end(), [](const active_atom& a) { return !(a.lambda > 0); }),
        active.end());
    it.step_size = step;
    it.atoms = active.size();
    it.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    S.log.push_back(it);
    if (on_iteration) on_iteration(it);
  }
  // Final objective.
  std::fill(f.begin(), f.end(), 0.0);
  for (const auto& a : active)
    for (std::size_t i = 0; i < n; ++i) f[i] += P.tau * a.lambda * a.values[i];
  double L = 0;
  for (std::size_t i = 0; i < n; ++i) L += (f[i] - y[i]) * (f[i] - y[i]);
  S.final_objective = L / double(n);
  for (const auto& a : active) {
    fw_atom at;
    at.level = P.levels[a.level_index];
    at.circuit = a.circuit;
    at.weight = P.tau * a.lambda * a.sign / a.nu;
    model.atoms.push_back(std::move(at));
  }
  model.refresh_vertex_values();
  S.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return model;
}

// ---------------------------------------------------------------------------------------------------------
// Compilation

circuit::aig vertex_sum_circuit(const fw_model& m, unsigned k, const std::vector<std::int64_t>& q) {
  if (q.size() != m.atoms.size()) throw input_error("vertex_sum_circuit: one quantised weight per atom");
  circuit::aig g;
  std::vector<circuit::literal> in;
  for (std::size_t i = 0; i < m.dims; ++i)
    for (unsigned b = 0; b <= k; ++b) in.push_back(g.create_pi(fmt::format("v{}_{}", i, b)));
  std::vector<circuit::word> xs;
  std::vector<std::int64_t> ws;
  std::int64_t bias = 0;
  for (std::size_t j = 0; j < m.atoms.size(); ++j) {
    if (m.atoms[j].level != k) continue;
    // q·C with C = 2·bit − 1: weight 2q on the bit, −q into the bias.
    xs.push_back(circuit::from_bit(m.atoms[j].circuit.build(g, in)));
    ws.push_back(2 * q[j]);
    bias -= q[j];
  }
  circuit::dot_params dp;
  dp.bias = bias;
  circuit::create_output_word(g, circuit::dot_const(g, xs, ws, dp), "D");
  return circuit::cleanup(g);
}

compiled_model compile_model(const fw_model& m, const compile_params& params) {
  if (params.fraction_bits > 40) throw input_error("compile: at most 40 fraction bits");
  if (m.atoms.empty()) throw input_error("compile: the model has no atoms");
  compiled_model out;
  out.fraction_bits = params.fraction_bits;
  out.input_bits = params.input_bits;
  out.output_fraction_bits = params.output_fraction_bits;
  const double unit = std::ldexp(1.0, int(params.fraction_bits));
  for (const auto& a : m.atoms) {
    std::int64_t q = std::llround(a.weight * unit);
    out.quantised_weights.push_back(q);
    out.quantisation_bound += std::fabs(a.weight - double(q) / unit);
  }
  for (const auto& a : m.atoms) out.levels.push_back(a.level);
  std::sort(out.levels.begin(), out.levels.end());
  out.levels.erase(std::unique(out.levels.begin(), out.levels.end()), out.levels.end());
  // Σ_j w_j T_{C_j} = Σ_k T^{(k)}_{D_k} (T is linear in the vertex values): one Tetrakis term per level.
  std::vector<circuit::aig> sums;
  for (unsigned k : out.levels) {
    sums.push_back(vertex_sum_circuit(m, k, out.quantised_weights));
    out.vertex_sum_ands += circuit::statistics(sums.back()).ands;
  }
  std::vector<tetrakis::tetrakis_term> terms;
  for (std::size_t l = 0; l < sums.size(); ++l)
    terms.push_back(
        {&sums[l], out.levels[l], tetrakis::decoding{tetrakis::decoding::kind::twos_complement, 1.0 / unit}});
  tetrakis::real_to_bin_params rp;
  rp.input_bits = params.input_bits;
  rp.output_fraction_bits = int(params.output_fraction_bits) - int(params.fraction_bits);
  rp.rounding = params.rounding;
  auto r = tetrakis::real_to_bin_sum(terms, m.dims, rp, &out.split);
  out.circuit = std::move(r.circuit);
  out.circuit.comment = fmt::format(
      "occam fw model, real-to-bin: inputs X_i ({} bits each, x_i = lo_i + (hi_i - lo_i) X_i / 2^{}), output "
      "two's complement word * 2^-{} = sum over levels {} of the Tetrakis function of the level's vertex sum",
      params.input_bits, params.input_bits, params.output_fraction_bits, fmt::join(out.levels, ","));
  out.ands = out.split.ands;
  out.rounding_bound = out.split.error_bound;
  return out;
}

}  // namespace occam::fw
