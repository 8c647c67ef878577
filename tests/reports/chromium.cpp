#include "tests/reports/chromium.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <utility>

namespace cutover::test {

std::string find_chromium() {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/bin:/bin";
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const std::filesystem::path candidate =
        std::filesystem::path(rest.substr(0, colon)) / "chromium";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    rest = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
  }
  return "";
}

loopback::ProcessResult run_chromium(const std::string& chromium, const loopback::TempDir& profile,
                                     std::vector<std::string> arguments) {
  std::vector<std::string> command = {
      chromium,        "--headless=new", "--no-sandbox",
      "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile.path().string()};
  command.insert(command.end(), arguments.begin(), arguments.end());
  loopback::Process browser(command);
  return browser.wait(std::chrono::seconds(60));
}

std::filesystem::path artifacts_folder() {
  const char* artifacts = std::getenv("CUTOVER_TEST_ARTIFACTS");
  const std::filesystem::path folder = artifacts != nullptr
                                           ? std::filesystem::path(artifacts)
                                           : std::filesystem::current_path() / "test-artifacts";
  std::filesystem::create_directories(folder);
  return folder;
}

namespace {

constexpr std::pair<std::string_view, char> kEntities[] = {
    {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}};

// The text of the probe's <pre>, as --dump-dom escapes a text node.
std::string unescape_text(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    bool entity_found = false;
    for (const auto& [entity, character] : kEntities) {
      if (text.starts_with(entity)) {
        out += character;
        text.remove_prefix(entity.size());
        entity_found = true;
        break;
      }
    }
    if (!entity_found) {
      out += text.front();
      text.remove_prefix(1);
    }
  }
  return out;
}

}  // namespace

namespace {

// The probe's value and the viewport it ran in, from one page load.
struct Probed {
  nlohmann::json value;
  int width = 0;
  int height = 0;
};

Probed load_probed(const std::string& chromium, const loopback::TempDir& profile,
                   const std::filesystem::path& copy, int window_width, int window_height) {
  const loopback::ProcessResult dump = run_chromium(
      chromium, profile,
      {"--dump-dom", "--hide-scrollbars",
       "--window-size=" + std::to_string(window_width) + "," + std::to_string(window_height),
       "file://" + copy.string()});
  if (dump.exit_code != 0) throw std::runtime_error("chromium failed: " + dump.err);
  const std::string open = "<pre id=\"probe-out\">";
  const std::size_t start = dump.out.find(open);
  const std::size_t end = dump.out.find("</pre>", start);
  if (start == std::string::npos || end == std::string::npos) {
    throw std::runtime_error("the probe left no result: " + dump.err);
  }
  const nlohmann::json out = nlohmann::json::parse(unescape_text(
      std::string_view(dump.out).substr(start + open.size(), end - start - open.size())));
  return {out.at("value"), out.at("width").get<int>(), out.at("height").get<int>()};
}

}  // namespace

nlohmann::json probe_page(const std::string& chromium, const loopback::TempDir& profile,
                          const std::filesystem::path& page, std::string_view probe, int width,
                          int height) {
  std::string html = loopback::read_file(page);
  const std::size_t body_end = html.rfind("</body>");
  if (body_end == std::string::npos) throw std::runtime_error("no </body> in " + page.string());
  // The page's policy allows inline scripts, so the probe runs as one after the page's own.
  html.insert(body_end,
              "<script>(()=>{const p=document.createElement('pre');p.id='probe-out';"
              "p.textContent=JSON.stringify({width:innerWidth,height:innerHeight,value:(" +
                  std::string(probe) + ")});document.body.append(p);})();</script>");
  const std::filesystem::path copy = page.parent_path() / ("probed-" + page.filename().string());
  std::ofstream(copy, std::ios::binary) << html;

  // Headless Chromium's --window-size is the window's, and the viewport may be smaller by its
  // frame: measured at the first load, the window grows by the difference from then on.
  static int frame_width = 0;
  static int frame_height = 0;
  Probed probed = load_probed(chromium, profile, copy, width + frame_width, height + frame_height);
  if (probed.width != width || probed.height != height) {
    frame_width += width - probed.width;
    frame_height += height - probed.height;
    probed = load_probed(chromium, profile, copy, width + frame_width, height + frame_height);
  }
  if (probed.width != width || probed.height != height) {
    throw std::runtime_error("the viewport is " + std::to_string(probed.width) + "x" +
                             std::to_string(probed.height) + ", not " + std::to_string(width) +
                             "x" + std::to_string(height));
  }
  return probed.value;
}

}  // namespace cutover::test
