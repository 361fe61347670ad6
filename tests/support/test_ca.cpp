#include "support/test_ca.hpp"

#include <arpa/inet.h>

#include <fstream>
#include <stdexcept>

#include "support/subprocess.hpp"

namespace hookd::testing {
namespace {

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const CommandResult r = run_command(argv);
  if (r.exit_code != 0) {
    throw std::runtime_error("openssl " + args.front() + " failed: " + r.err);
  }
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

TestCertificates make_test_certificates(const std::string& dir,
                                        const std::vector<std::string>& names, int days) {
  TestCertificates c{dir + "/ca.pem", dir + "/server-chain.pem", dir + "/server-key.pem",
                     dir + "/ca-key.pem"};
  const std::string& ca_key = c.ca_key;
  const std::string csr = dir + "/server.csr";
  const std::string leaf = dir + "/server.pem";
  const std::string ext = dir + "/server.ext";

  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", ca_key, "-out", c.ca_cert, "-days", "2", "-subj", "/CN=hookd test CA"});
  openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           c.server_key, "-out", csr, "-subj", "/CN=" + names.front()});
  {
    std::ofstream out(ext);
    out << "subjectAltName=";
    for (size_t i = 0; i < names.size(); ++i) {
      out << (i ? "," : "") << (is_ip(names[i]) ? "IP:" : "DNS:") << names[i];
    }
    out << "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
  }
  std::vector<std::string> sign{
      "x509", "-req", "-in",      csr, "-CA", c.ca_cert, "-CAkey", ca_key, "-CAcreateserial",
      "-out", leaf,   "-extfile", ext};
  sign.insert(sign.end(), {"-days", std::to_string(days)});
  openssl(sign);
  std::ofstream chain(c.server_cert);
  chain << std::ifstream(leaf).rdbuf() << std::ifstream(c.ca_cert).rdbuf();
  return c;
}

TestCertificates make_server_certificate(const std::string& dir, const TestCertificates& trusted,
                                         const std::vector<std::string>& names, bool expired) {
  TestCertificates c{trusted.ca_cert, dir + "/leaf-chain.pem", dir + "/leaf-key.pem",
                     trusted.ca_key};
  const std::string csr = dir + "/leaf.csr";
  const std::string leaf = dir + "/leaf.pem";
  const std::string config = dir + "/leaf-ca.cnf";
  openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           c.server_key, "-out", csr, "-subj", "/CN=" + names.front()});
  // `openssl ca` rather than `openssl x509`: the latter cannot backdate in OpenSSL 3.0.
  std::ofstream(dir + "/leaf-index.txt").flush();
  std::ofstream(dir + "/leaf-serial") << "01\n";
  {
    std::ofstream out(config);
    out << "[ca]\ndefault_ca = test\n"
        << "[test]\ndatabase = " << dir << "/leaf-index.txt\nnew_certs_dir = " << dir
        << "\nserial = " << dir << "/leaf-serial\ndefault_md = sha256\npolicy = any\n"
        << "[any]\ncommonName = supplied\n[server]\nsubjectAltName = ";
    for (size_t i = 0; i < names.size(); ++i) {
      out << (i ? "," : "") << (is_ip(names[i]) ? "IP:" : "DNS:") << names[i];
    }
    out << "\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n";
  }
  std::vector<std::string> args{
      "ca",           "-batch", "-config", config, "-cert", trusted.ca_cert, "-keyfile",
      trusted.ca_key, "-in",    csr,       "-out", leaf,    "-extensions",   "server"};
  if (expired) {
    args.insert(args.end(), {"-startdate", "20200101000000Z", "-enddate", "20200102000000Z"});
  } else {
    args.insert(args.end(), {"-days", "1"});
  }
  openssl(args);
  std::ofstream chain(c.server_cert);
  chain << std::ifstream(leaf).rdbuf() << std::ifstream(trusted.ca_cert).rdbuf();
  return c;
}

}  // namespace hookd::testing
