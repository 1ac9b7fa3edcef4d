// THEORY §1: the ResNet, its initialisation and its model file.
#include "occam/nn/resnet.hpp"

#include <torch/torch.h>

#include <zlib.h>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::nn {
namespace {
constexpr const char* kModelMagic = "OCCAM-MODEL 1";

data::task_kind parse_kind(const std::string& s, const std::string& file) {
  for (auto k : {data::task_kind::regression, data::task_kind::binary, data::task_kind::multiclass})
    if (s == data::to_string(k)) return k;
  throw input_error(file, 2, "unknown task kind '" + s + "'");
}
}  // namespace

std::int64_t resnet_shape::parameter_count() const {
  return depth * (hidden * (width + 1) + width * hidden) + d_out * (width + 1);
}

std::vector<torch::Tensor> resnet::parameters() const {
  std::vector<torch::Tensor> p;
  p.reserve(W.size() * 2 + 1);
  for (std::size_t l = 0; l < W.size(); ++l) {
    p.push_back(W[l]);
    p.push_back(V[l]);
  }
  p.push_back(U);
  return p;
}

torch::Tensor resnet::embed(const torch::Tensor& x) const {
  // α_0 = (x, 0, …, 0, 1): zero padding to w, then the constant coordinate.
  auto h = torch::constant_pad_nd(x, {0, shape.width - shape.d_in});
  return torch::cat({h, torch::ones({x.size(0), 1}, h.options())}, 1);
}

torch::Tensor resnet::forward(const torch::Tensor& x) const {
  // Works on the first w coordinates h of α; the constant coordinate enters as the bias column of W and U,
  // which is the same computation as THEORY §1 without materialising the column of ones.
  const std::int64_t w = shape.width;
  auto h = torch::constant_pad_nd(x, {0, w - shape.d_in});
  for (std::size_t l = 0; l < W.size(); ++l) {
    auto z = torch::addmm(W[l].select(1, w), h, W[l].narrow(1, 0, w).t());
    h = torch::addmm(h, torch::relu(z), V[l].t());
  }
  return torch::addmm(U.select(1, w), h, U.narrow(1, 0, w).t());
}

resnet_trace resnet::forward_trace(const torch::Tensor& x) const {
  resnet_trace t;
  auto alpha = embed(x);
  t.alpha.push_back(alpha);
  for (std::size_t l = 0; l < W.size(); ++l) {
    auto z = alpha.mm(W[l].t());
    auto a = torch::relu(z);
    auto branch = a.mm(V[l].t());
    alpha = alpha + torch::constant_pad_nd(branch, {0, 1});
    t.z.push_back(z);
    t.a.push_back(a);
    t.alpha.push_back(alpha);
  }
  t.out = alpha.mm(U.t());
  return t;
}

resnet resnet::to(torch::Device device, torch::Dtype dtype, bool requires_grad) const {
  resnet r;
  r.shape = shape;
  r.kind = kind;
  r.input_box = input_box;
  auto cp = [&](const torch::Tensor& t) {
    return t.detach().to(device, dtype, /*non_blocking=*/false, /*copy=*/true).requires_grad_(requires_grad);
  };
  for (auto& t : W) r.W.push_back(cp(t));
  for (auto& t : V) r.V.push_back(cp(t));
  r.U = cp(U);
  return r;
}

void resnet::set_requires_grad(bool on) {
  for (auto& t : W) t.requires_grad_(on);
  for (auto& t : V) t.requires_grad_(on);
  U.requires_grad_(on);
}

std::int64_t resnet::nonzero_count() const {
  std::int64_t n = 0;
  for (auto& t : parameters()) n += t.ne(0).sum().item<std::int64_t>();
  return n;
}

resnet make_resnet(const resnet_shape& s, const init_params& init) {
  if (s.d_in <= 0 || s.d_out <= 0 || s.hidden <= 0 || s.depth < 0)
    throw input_error("invalid network shape: d_in, d_out and hidden must be positive, depth ≥ 0");
  if (s.width < s.d_in)
    throw input_error("width w=" + std::to_string(s.width) + " must be at least the input dimension " +
                      std::to_string(s.d_in) + " (THEORY §1)");
  auto gen = at::detail::createCPUGenerator(init.seed);
  auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  const double fan_in = double(s.width + 1);
  resnet m;
  m.shape = s;
  for (std::int64_t l = 0; l < s.depth; ++l) {
    auto W = torch::randn({s.hidden, s.width + 1}, gen, opts) * std::sqrt(2.0 / fan_in);
    W.select(1, s.width).zero_();  // biases start at 0
    auto V = torch::randn({s.width, s.hidden}, gen, opts) * (init.v_scale / std::sqrt(double(s.hidden)));
    m.W.push_back(W);
    m.V.push_back(V);
  }
  m.U = torch::randn({s.d_out, s.width + 1}, gen, opts) * std::sqrt(1.0 / fan_in);
  m.U.select(1, s.width).zero_();
  m.input_box.lo.assign(std::size_t(s.d_in), 0.0f);
  m.input_box.hi.assign(std::size_t(s.d_in), 1.0f);
  return m;
}

namespace {

/// CRC-32 (zlib's) of a contiguous float32 CPU tensor's bytes, continued from `crc`.
std::uint32_t payload_crc32(std::uint32_t crc, const torch::Tensor& t) {
  return std::uint32_t(
      ::crc32(crc, reinterpret_cast<const Bytef*>(t.data_ptr<float>()), uInt(t.numel() * 4)));
}

}  // namespace

void save_model(const resnet& m, const std::string& path) {
  nlohmann::json j;
  j["format"] = "occam-resnet";
  j["theory"] = "THEORY §1";
  j["d_in"] = m.shape.d_in;
  j["width"] = m.shape.width;
  j["hidden"] = m.shape.hidden;
  j["depth"] = m.shape.depth;
  j["d_out"] = m.shape.d_out;
  j["kind"] = data::to_string(m.kind);
  j["box"] = {{"lo", m.input_box.lo}, {"hi", m.input_box.hi}};
  j["dtype"] = "float32-le";
  nlohmann::json tensors = nlohmann::json::array();
  auto params = m.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    std::string name = i + 1 == params.size() ? "U" : (i % 2 == 0 ? "W" : "V") + std::to_string(i / 2 + 1);
    tensors.push_back({{"name", name}, {"shape", params[i].sizes().vec()}});
  }
  j["tensors"] = tensors;
  // Format 2 adds the payload's CRC-32, so that a flipped bit in the weights is an error on load.
  std::vector<torch::Tensor> payload;
  std::uint32_t crc = 0;
  for (auto& p : params) {
    payload.push_back(p.detach().to(torch::kCPU, torch::kFloat32).contiguous());
    crc = payload_crc32(crc, payload.back());
  }
  j["version"] = 2;
  j["payload_crc32"] = crc;
  write_file_atomic(
      path,
      [&](std::ostream& out) {
        out << kModelMagic << '\n' << j.dump() << '\n';
        for (auto& c : payload)
          out.write(reinterpret_cast<const char*>(c.data_ptr<float>()), std::streamsize(c.numel() * 4));
      },
      /*binary=*/true);
}

resnet load_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path, 0, "cannot open model file");
  std::string magic, header;
  std::getline(in, magic);
  if (magic != kModelMagic)
    throw input_error(path, 1, "not an occam model file (expected '" + std::string(kModelMagic) + "')");
  std::getline(in, header);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header);
  } catch (const std::exception& e) {
    throw input_error(path, 2, std::string("bad model header: ") + e.what());
  }
  resnet m;
  int version = 1;
  std::uint32_t want_crc = 0;
  try {
    if (j.contains("version")) version = j.at("version").get<int>();
    if (version >= 2) want_crc = j.at("payload_crc32").get<std::uint32_t>();
    if (j.contains("dtype") && j.at("dtype").get<std::string>() != "float32-le")
      throw input_error(path, 2, "unsupported weight type '" + j.at("dtype").get<std::string>() + "'");
    m.shape.d_in = j.at("d_in");
    m.shape.width = j.at("width");
    m.shape.hidden = j.at("hidden");
    m.shape.depth = j.at("depth");
    m.shape.d_out = j.at("d_out");
    m.kind = parse_kind(j.at("kind").get<std::string>(), path);
    m.input_box.lo = j.at("box").at("lo").get<std::vector<float>>();
    m.input_box.hi = j.at("box").at("hi").get<std::vector<float>>();
  } catch (const nlohmann::json::exception& e) {
    throw input_error(path, 2, std::string("bad model header: ") + e.what());
  }
  if (version < 1 || version > 2) throw input_error(path, 2, "unsupported model format version");
  const auto& s = m.shape;
  if (s.d_in <= 0 || s.width < s.d_in || s.hidden <= 0 || s.depth < 0 || s.d_out <= 0 ||
      m.input_box.lo.size() != std::size_t(s.d_in) || m.input_box.hi.size() != std::size_t(s.d_in))
    throw input_error(path, 2, "inconsistent architecture or input box in model header");
  auto read = [&](std::vector<std::int64_t> shape) {
    auto t = torch::empty(shape, torch::kFloat32);
    in.read(reinterpret_cast<char*>(t.data_ptr<float>()), std::streamsize(t.numel() * 4));
    if (!in) throw input_error(path, 0, "model file is truncated");
    return t;
  };
  for (std::int64_t l = 0; l < s.depth; ++l) {
    m.W.push_back(read({s.hidden, s.width + 1}));
    m.V.push_back(read({s.width, s.hidden}));
  }
  m.U = read({s.d_out, s.width + 1});
  if (in.peek() != std::char_traits<char>::eof())
    throw input_error(path, 0, "trailing bytes after the tensors");
  if (version >= 2) {
    std::uint32_t crc = 0;
    for (auto& p : m.parameters()) crc = payload_crc32(crc, p);
    if (crc != want_crc)
      throw input_error(path, 0, "model file is corrupt (weights do not match their CRC-32)");
  }
  for (auto& p : m.parameters())
    if (!torch::isfinite(p).all().item<bool>())
      throw input_error(path, 0, "model has NaN or infinite weights");
  return m;
}

}  // namespace occam::nn
