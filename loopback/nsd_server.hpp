#pragma once

#include <cstdint>
#include <string>

#include "loopback/temp_dir.hpp"

namespace cutover::loopback {

// NSD, the authoritative DNS server from Debian, started on a free port of 127.0.0.1 with one
// zone written at test time, stopped on destruction. Skips the test (GTEST_SKIP in the caller's
// check of available()) when /usr/sbin/nsd is missing.
class NsdServer {
 public:
  // `zone` is the zone file's text for `origin` ("example.test."); $ORIGIN and $TTL are up to it.
  // Returns once NSD answers the zone's SOA query; throws std::runtime_error with NSD's output
  // and log when it exits, answers otherwise (a zone that did not load) or is silent for 5s.
  NsdServer(std::string origin, std::string zone);
  ~NsdServer();
  NsdServer(const NsdServer&) = delete;
  NsdServer& operator=(const NsdServer&) = delete;

  static bool available();

  std::uint16_t port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  int pid_ = -1;
};

}  // namespace cutover::loopback
