#define BOOST_TEST_MODULE storage
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "scratch_dirs.h"
#include "util/atomic_file.h"
#include "util/errors.h"

using namespace lockstep;
using namespace lockstep::test;

namespace
{

std::vector<uint8_t> pattern(size_t size)
{
    std::vector<uint8_t> bytes(size);
    for (size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<uint8_t>((i * 131) ^ (i >> 8));
    return bytes;
}

} // namespace

BOOST_AUTO_TEST_CASE(atomic_write_leaves_the_full_content_and_no_temporary)
{
    const TempDir dir;
    const std::string path = dir.path() + "/frame.bin";
    const std::vector<uint8_t> bytes = pattern(3'000'000);
    writeFileAtomic(path, bytes);
    BOOST_TEST(readFileBytes(path) == bytes);
    BOOST_TEST(listDirectory(dir.path()) == std::vector<std::string>{"frame.bin"});
}

BOOST_AUTO_TEST_CASE(atomic_write_replaces_an_existing_file)
{
    const TempDir dir;
    const std::string path = dir.path() + "/manifest.json";
    writeFileAtomic(path, std::string("old content that is longer"));
    writeFileAtomic(path, std::string("new"));
    const std::vector<uint8_t> got = readFileBytes(path);
    BOOST_TEST(std::string(got.begin(), got.end()) == "new");
    BOOST_TEST(listDirectory(dir.path()) == std::vector<std::string>{"manifest.json"});
}

BOOST_AUTO_TEST_CASE(atomic_write_into_a_missing_directory_names_path_and_cause)
{
    const TempDir dir;
    const std::string path = dir.path() + "/missing/frame.jpg";
    try {
        writeFileAtomic(path, std::string("x"));
        BOOST_FAIL("write into a missing directory succeeded");
    } catch (const RunError &e) {
        BOOST_TEST(std::string(e.what()) == "cannot write " + path + ": No such file or directory");
    }
    BOOST_TEST(listDirectory(dir.path()).empty());
}

BOOST_AUTO_TEST_CASE(make_directories_creates_nested_folders_and_reports_failure)
{
    const TempDir dir;
    makeDirectories(dir.path() + "/scan/pos-0001");
    makeDirectories(dir.path() + "/scan/pos-0001"); /* existing: fine */
    BOOST_TEST(listDirectory(dir.path() + "/scan") == std::vector<std::string>{"pos-0001"});

    writeFileAtomic(dir.path() + "/file", std::string("x"));
    BOOST_CHECK_EXCEPTION(
        makeDirectories(dir.path() + "/file/sub"), RunError, [](const RunError &e) {
            return std::string(e.what()).find("cannot create directory") != std::string::npos;
        });
}

BOOST_AUTO_TEST_CASE(sha256_matches_the_published_test_vectors)
{
    /* FIPS 180-2 examples. */
    const std::string abc = "abc";
    BOOST_TEST(sha256Hex(std::span(reinterpret_cast<const uint8_t *>(abc.data()), abc.size())) ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_TEST(sha256Hex({}) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* In pieces (a frame written around its EXIF), empty ones included: the same digest. */
    const auto *bytes = reinterpret_cast<const uint8_t *>(abc.data());
    const std::span<const uint8_t> pieces[] = {{bytes, 1}, {}, {bytes + 1, 2}};
    BOOST_TEST(sha256HexOfPieces(pieces) ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
