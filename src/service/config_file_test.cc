#include "service/config_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include <CLI/CLI.hpp>

#include "core/temp_dir_for_tests.h"

namespace ncc::service {
namespace {

// A command shaped like `ncc serve`: strings, a checked number, a flag, a repeatable option.
struct Serve {
  CLI::App app{"test", "serve"};
  std::string listen = "127.0.0.1:8080", data = "var/ncc";
  int threads = 2;
  bool insecure = false;
  std::vector<std::string> hosts;
  Serve() {
    app.add_option("--listen", listen);
    app.add_option("--data", data);
    app.add_option("--threads", threads)->check(CLI::Range(1, 64));
    app.add_flag("--insecure", insecure);
    app.add_option("--allowed-host", hosts);
    app.add_option("--config", "a configuration file")->configurable(false);
  }
  void Parse(std::vector<std::string> args) {
    std::reverse(args.begin(), args.end());
    app.parse(args);
  }
};

TEST(ConfigFile, AppliesEveryKindOfValue) {
  Serve s;
  s.Parse({});
  std::string text =
      "# ncc.conf\n"
      "listen = \"127.0.0.1:9000\"   # loopback\n"
      "data = /var/lib/ncc\n"
      "threads = 4\n"
      "insecure = true\n"
      "allowed-host = [\"a.example\", \"b.example\"]\n";
  ASSERT_TRUE(ApplyConfigText(s.app, "ncc.conf", text).ok());
  EXPECT_EQ(s.listen, "127.0.0.1:9000");
  EXPECT_EQ(s.data, "/var/lib/ncc");
  EXPECT_EQ(s.threads, 4);
  EXPECT_TRUE(s.insecure);
  EXPECT_EQ(s.hosts, (std::vector<std::string>{"a.example", "b.example"}));
}

TEST(ConfigFile, TheCommandLineWins) {
  Serve s;
  s.Parse({"--listen", "127.0.0.1:7000", "--allowed-host", "c.example"});
  ASSERT_TRUE(ApplyConfigText(s.app, "f",
                              "listen = 127.0.0.1:9000\nallowed-host = [a, b]\n"
                              "threads = 3\n")
                  .ok());
  EXPECT_EQ(s.listen, "127.0.0.1:7000");
  EXPECT_EQ(s.hosts, std::vector<std::string>{"c.example"});
  EXPECT_EQ(s.threads, 3);
}

TEST(ConfigFile, AnUnknownKeyIsRefusedWithItsLineAndNothingIsApplied) {
  Serve s;
  s.Parse({});
  Status st = ApplyConfigText(s.app, "/etc/ncc/ncc.conf", "data = /x\n\n# note\nlisen = :1\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "lisen");
  EXPECT_NE(st.message().find("/etc/ncc/ncc.conf:4: unknown key 'lisen'"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("did you mean 'listen'?"), std::string::npos) << st.message();
  EXPECT_EQ(s.data, "var/ncc");  // checked whole before anything is applied
}

TEST(ConfigFile, ABareWordIsAnUnknownFlag) {
  Serve s;
  s.Parse({});
  Status st = ApplyConfigText(s.app, "f", "threads = 2\nverbose\n");
  EXPECT_EQ(st.field(), "verbose");
  EXPECT_NE(st.message().find("f:2: unknown key 'verbose'"), std::string::npos) << st.message();
}

TEST(ConfigFile, AKeySetTwiceIsRefusedAtTheSecond) {
  Serve s;
  s.Parse({});
  // CLI11 merges a key repeated on the next line into one item; apart, they are two.
  Status next = ApplyConfigText(s.app, "f", "listen = a:1\nlisten = b:2\n");
  EXPECT_EQ(next.field(), "listen");
  EXPECT_NE(next.message().find("f:2: 'listen' is set again (first on line 1)"), std::string::npos)
      << next.message();
  Status apart = ApplyConfigText(s.app, "f", "listen = a:1\ndata = d\nlisten = b:2\n");
  EXPECT_NE(apart.message().find("f:3: 'listen' is set again (first on line 1)"), std::string::npos)
      << apart.message();
  EXPECT_EQ(s.listen, "127.0.0.1:8080");
  // CLI11 reads "listen." as "listen": still the same key twice.
  Status dotted = ApplyConfigText(s.app, "f", "listen. = a:1\ndata = d\nlisten = b:2\n");
  EXPECT_NE(dotted.message().find("f:3: 'listen' is set again (first on line 1)"),
            std::string::npos)
      << dotted.message();
}

TEST(ConfigFile, SectionsAndDottedKeysAreRefused) {
  Serve s;
  s.Parse({});
  Status st = ApplyConfigText(s.app, "f", "data = d\n[serve]\nlisten = a:1\n");
  EXPECT_EQ(st.field(), "serve.listen");
  EXPECT_NE(st.message().find("f:3:"), std::string::npos) << st.message();
  st = ApplyConfigText(s.app, "f", "tls.cert = x\n");
  EXPECT_EQ(st.field(), "tls.cert");
  EXPECT_NE(st.message().find("f:1:"), std::string::npos) << st.message();
}

TEST(ConfigFile, HelpConfigAndEmptyValuesAreRefused) {
  Serve s;
  s.Parse({});
  EXPECT_EQ(ApplyConfigText(s.app, "f", "help = true\n").field(), "help");
  EXPECT_EQ(ApplyConfigText(s.app, "f", "config = /etc/other.conf\n").field(), "config");
  Status st = ApplyConfigText(s.app, "f", "data = \"\"\n");
  EXPECT_EQ(st.field(), "data");
  EXPECT_NE(st.message().find("has no value"), std::string::npos) << st.message();
}

TEST(ConfigFile, ABadValueNamesItsKeyAndLine) {
  Serve s;
  s.Parse({});
  Status st = ApplyConfigText(s.app, "f", "data = d\nthreads = 100\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.field(), "threads");
  EXPECT_NE(st.message().find("f:2: 'threads'"), std::string::npos) << st.message();
  Serve t;
  t.Parse({});
  st = ApplyConfigText(t.app, "f", "threads = many\n");
  EXPECT_EQ(st.field(), "threads");
  Serve u;
  u.Parse({});
  st = ApplyConfigText(u.app, "f", "insecure = maybe\n");
  EXPECT_EQ(st.field(), "insecure") << st.message();
}

TEST(ConfigFile, FromAFile) {
  testing::TempDir dir;
  std::ofstream(dir.File("ncc.conf")) << "data = /srv/ncc\n";
  Serve s;
  s.Parse({});
  ASSERT_TRUE(ApplyConfigFile(s.app, dir.File("ncc.conf")).ok());
  EXPECT_EQ(s.data, "/srv/ncc");
  Status st = ApplyConfigFile(s.app, dir.File("missing.conf"));
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("missing.conf"), std::string::npos);
}

TEST(LinesOfKey, ReadsLinesAsCli11Does) {
  std::string text =
      "# comment\n"
      "a = 1\n"
      "  \"b\" = 2  \n"
      "list = [x,\n"
      "  a = not a key,\n"
      "  y]\n"
      "[default]\n"
      "a = 3\n"
      "[sec]\n"
      "a = 4\n"
      "flag # set\n";
  EXPECT_EQ(LinesOfKey(text, "a"), (std::vector<int>{2, 8}));
  EXPECT_EQ(LinesOfKey(text, "b"), std::vector<int>{3});
  EXPECT_EQ(LinesOfKey(text, "list"), std::vector<int>{4});
  EXPECT_EQ(LinesOfKey(text, "sec.a"), std::vector<int>{10});
  EXPECT_EQ(LinesOfKey(text, "sec.flag"), std::vector<int>{11});
  EXPECT_TRUE(LinesOfKey(text, "c").empty());
  EXPECT_EQ(LinesOfKey("listen. = x\n[DEFAULT]\n'data' = y\n", "listen"), std::vector<int>{1});
  EXPECT_EQ(LinesOfKey("listen. = x\n[DEFAULT]\n'data' = y\n", "data"), std::vector<int>{3});
}

}  // namespace
}  // namespace ncc::service
