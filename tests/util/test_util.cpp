#include <gtest/gtest.h>

#include <filesystem>

#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace fs = std::filesystem;

TEST(InputError, FormatsFileAndLine) {
  occam::input_error e("data.csv", 12, "expected 3 columns, found 2");
  EXPECT_STREQ(e.what(), "data.csv:12: expected 3 columns, found 2");
  EXPECT_EQ(e.line(), 12u);
  occam::input_error whole("data.csv", 0, "empty file");
  EXPECT_STREQ(whole.what(), "data.csv: empty file");
}

TEST(AtomicFile, WritesAndReplacesWithoutLeavingTemporaries) {
  fs::path dir = fs::temp_directory_path() / "occam_test_atomic";
  occam::remove_tree(dir);
  fs::path f = dir / "sub" / "out.txt";
  occam::write_file_atomic(f, "first");
  occam::write_file_atomic(f, "second");
  EXPECT_EQ(occam::read_file(f), "second");
  int entries = 0;
  for (auto& e : fs::directory_iterator(f.parent_path())) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1);
  occam::remove_tree(dir);
}

TEST(AtomicFile, MissingFileIsAnInputError) {
  EXPECT_THROW(occam::read_file("/nonexistent/occam/file"), occam::input_error);
}
