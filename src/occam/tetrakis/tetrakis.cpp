// THEORY §6: simplex location in the Tetrakis triangulation, and Tetrakis functions of circuits.
#include "occam/tetrakis/tetrakis.hpp"

#include <algorithm>
#include <cmath>

#include "occam/circuit/simulate.hpp"
#include "occam/util/error.hpp"

namespace occam::tetrakis {

decoding::kind parse_decoding(const std::string& name) {
  if (name == "twos" || name == "twos_complement") return decoding::kind::twos_complement;
  if (name == "unsigned") return decoding::kind::unsigned_fixed;
  if (name == "sign") return decoding::kind::sign;
  throw input_error("unknown decoding '" + name + "' (expected twos, unsigned or sign)");
}

const char* to_string(decoding::kind k) {
  switch (k) {
    case decoding::kind::twos_complement:
      return "twos";
    case decoding::kind::unsigned_fixed:
      return "unsigned";
    case decoding::kind::sign:
      return "sign";
  }
  return "?";
}

affine_decoding affine_form(const decoding& dec, std::size_t m) {
  if (m == 0) throw input_error("the circuit has no outputs to decode");
  if (m > 62) throw input_error("at most 62 output bits can be decoded (got " + std::to_string(m) + ")");
  affine_decoding a;
  a.coefficients.assign(m, 0.0);
  switch (dec.mode) {
    case decoding::kind::sign:
      if (m != 1)
        throw input_error("the 'sign' decoding needs exactly one output (got " + std::to_string(m) + ")");
      a.offset = -dec.scale;
      a.coefficients[0] = 2 * dec.scale;
      break;
    case decoding::kind::unsigned_fixed:
      for (std::size_t b = 0; b < m; ++b) a.coefficients[b] = dec.scale * std::ldexp(1.0, int(b));
      break;
    case decoding::kind::twos_complement:
      for (std::size_t b = 0; b < m; ++b) a.coefficients[b] = dec.scale * std::ldexp(1.0, int(b));
      a.coefficients[m - 1] = -a.coefficients[m - 1];
      break;
  }
  return a;
}

std::int64_t simplex::vertex(std::size_t j, std::size_t i) const {
  // Coordinate i is switched in vertex j iff its rank in π is < j (rank 0-based).
  for (std::size_t r = 0; r < j; ++r)
    if (order[r] == i) return odd[i];
  return even[i];
}

std::vector<std::int64_t> simplex::vertex(std::size_t j) const {
  std::vector<std::int64_t> v(even.begin(), even.end());
  for (std::size_t r = 0; r < j; ++r) v[order[r]] = odd[order[r]];
  return v;
}

void locate(const double* u, std::size_t d, unsigned level, simplex& s) {
  const double top = std::ldexp(1.0, int(level));
  const std::int64_t itop = std::int64_t(1) << level;
  s.d = d;
  s.even.resize(d);
  s.odd.resize(d);
  s.t.resize(d);
  s.order.resize(d);
  s.weights.resize(d + 1);
  for (std::size_t i = 0; i < d; ++i) {
    double x = std::min(std::max(u[i], 0.0), top);
    // Nearest even integer (at odd x both are at distance 1: take the lower one, t = 1 either way).
    std::int64_t e = 2 * std::int64_t(std::ceil(x / 2 - 0.5));
    if (e > itop) e -= 2;  // only when 2^k is odd (k = 0)
    // Nearest odd integer; at even x (t = 0, weight 0) keep it inside the grid.
    std::int64_t o = 2 * std::int64_t(std::floor(x / 2)) + 1;
    if (o > itop) o -= 2;
    if (o < 0) o += 2;
    s.even[i] = e;
    s.odd[i] = o;
    s.t[i] = std::fabs(x - double(e));
    s.order[i] = std::uint32_t(i);
  }
  // Insertion sort, descending t, stable (d is small; this is the hot loop of the benchmark).
  for (std::size_t a = 1; a < d; ++a) {
    std::uint32_t key = s.order[a];
    double kt = s.t[key];
    std::size_t b = a;
    while (b > 0 && s.t[s.order[b - 1]] < kt) {
      s.order[b] = s.order[b - 1];
      --b;
    }
    s.order[b] = key;
  }
  // μ_0 = 1 − t_π(1), μ_j = t_π(j) − t_π(j+1), μ_d = t_π(d).
  double prev = 1.0;
  for (std::size_t j = 0; j < d; ++j) {
    double tj = s.t[s.order[j]];
    s.weights[j] = prev - tj;
    prev = tj;
  }
  s.weights[d] = prev;
}

simplex locate(const std::vector<double>& u, unsigned level) {
  simplex s;
  locate(u.data(), u.size(), level, s);
  return s;
}

double interpolate(const double* u, std::size_t d, unsigned level,
                   const std::function<double(const std::int64_t*)>& f) {
  simplex s;
  locate(u, d, level, s);
  std::vector<std::int64_t> v(s.even.begin(), s.even.end());
  double sum = s.weights[0] * f(v.data());
  for (std::size_t j = 1; j <= d; ++j) {
    v[s.order[j - 1]] = s.odd[s.order[j - 1]];
    sum += s.weights[j] * f(v.data());
  }
  return sum;
}

void grid_map::to_grid(const double* x, double* u) const {
  const double top = std::ldexp(1.0, int(level));
  for (std::size_t i = 0; i < lo.size(); ++i) {
    double span = hi[i] - lo[i];
    double g = span > 0 ? (x[i] - lo[i]) / span * top : 0.0;
    u[i] = std::min(std::max(g, 0.0), top);
  }
}

double grid_map::vertex_coordinate(std::size_t i, std::int64_t v) const {
  return lo[i] + (hi[i] - lo[i]) * std::ldexp(double(v), -int(level));
}

grid_map grid_map::unit(std::size_t d, unsigned level) {
  grid_map m;
  m.level = level;
  m.lo.assign(d, 0.0);
  m.hi.assign(d, 1.0);
  return m;
}

std::size_t input_count(std::size_t d, unsigned level) {
  return d * (level + 1);
}

void vertex_to_bits(const std::int64_t* vertex, std::size_t d, unsigned level, std::vector<bool>& bits) {
  bits.assign(input_count(d, level), false);
  for (std::size_t i = 0; i < d; ++i)
    for (unsigned b = 0; b <= level; ++b) bits[i * (level + 1) + b] = (vertex[i] >> b) & 1;
}

std::vector<std::int64_t> bits_to_vertex(const std::vector<bool>& bits, std::size_t d, unsigned level) {
  std::vector<std::int64_t> v(d, 0);
  for (std::size_t i = 0; i < d; ++i)
    for (unsigned b = 0; b <= level; ++b)
      if (bits[i * (level + 1) + b]) v[i] |= std::int64_t(1) << b;
  return v;
}

namespace {
void check_circuit(const circuit::aig& c, std::size_t d, unsigned level) {
  if (c.num_pis() != input_count(d, level))
    throw input_error("a level-" + std::to_string(level) + " Tetrakis circuit in " + std::to_string(d) +
                      " dimensions needs d·(k+1) = " + std::to_string(input_count(d, level)) +
                      " inputs, the circuit has " + std::to_string(c.num_pis()));
  if (level > 30) throw input_error("grid level must be at most 30");
}
}  // namespace

double vertex_value(const circuit::aig& c, const std::int64_t* vertex, std::size_t d, unsigned level,
                    const decoding& dec) {
  check_circuit(c, d, level);
  affine_decoding a = affine_form(dec, c.num_pos());
  std::vector<bool> in;
  vertex_to_bits(vertex, d, level, in);
  std::vector<char> val(c.num_nodes(), 0);
  for (std::size_t i = 0; i < c.num_pis(); ++i) val[c.pi_node(i)] = in[i];
  for (circuit::node_id n = 1; n < c.num_nodes(); ++n)
    if (c.is_and(n)) {
      auto lv = [&](circuit::literal l) {
        return char(val[circuit::lit_node(l)] ^ char(circuit::lit_complemented(l)));
      };
      val[n] = lv(c.fanin0(n)) & lv(c.fanin1(n));
    }
  double sum = a.offset;
  for (std::size_t o = 0; o < c.num_pos(); ++o) {
    circuit::literal l = c.po(o);
    if (val[circuit::lit_node(l)] ^ char(circuit::lit_complemented(l))) sum += a.coefficients[o];
  }
  return sum;
}

std::vector<double> tetrakis_function(const circuit::aig& c, const grid_map& map, const decoding& dec,
                                      const std::vector<double>& x, tetrakis_stats* stats) {
  const std::size_t d = map.dims();
  const unsigned k = map.level;
  check_circuit(c, d, k);
  if (d == 0) throw input_error("a Tetrakis function needs at least one dimension");
  if (x.size() % d != 0) throw input_error("point array size is not a multiple of the dimension");
  affine_decoding a = affine_form(dec, c.num_pos());
  const std::size_t n = x.size() / d;
  std::vector<double> out(n, 0.0);
  const std::size_t chunk = 2048;
  simplex s;
  std::vector<double> u(d);
  std::vector<double> mu;
  for (std::size_t start = 0; start < n; start += chunk) {
    std::size_t m = std::min(chunk, n - start);
    circuit::pattern_set in(c.num_pis(), m * (d + 1));
    mu.assign(m * (d + 1), 0.0);
    for (std::size_t p = 0; p < m; ++p) {
      map.to_grid(x.data() + (start + p) * d, u.data());
      locate(u.data(), d, k, s);
      std::vector<std::int64_t> v(s.even.begin(), s.even.end());
      for (std::size_t j = 0; j <= d; ++j) {
        if (j > 0) v[s.order[j - 1]] = s.odd[s.order[j - 1]];
        std::size_t pat = p * (d + 1) + j;
        mu[pat] = s.weights[j];
        for (std::size_t i = 0; i < d; ++i)
          for (unsigned b = 0; b <= k; ++b)
            if ((v[i] >> b) & 1) in.set(i * (k + 1) + b, pat, true);
      }
    }
    circuit::pattern_set res = circuit::simulate(c, in);
    for (std::size_t pat = 0; pat < m * (d + 1); ++pat) {
      double val = a.offset;
      for (std::size_t o = 0; o < c.num_pos(); ++o)
        if (res.get(o, pat)) val += a.coefficients[o];
      out[start + pat / (d + 1)] += mu[pat] * val;
    }
  }
  if (stats) {
    stats->points += n;
    stats->circuit_evaluations += n * (d + 1);
  }
  return out;
}

}  // namespace occam::tetrakis
