#include "scratch_dir.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <boost/test/unit_test.hpp>

#include "config/diagnostic.h"

namespace lockstep::test
{

ScratchDir::ScratchDir()
{
    std::string pattern = (std::filesystem::temp_directory_path() / "lockstep-config-XXXXXX");
    if (!mkdtemp(pattern.data()))
        throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
}

ScratchDir::~ScratchDir()
{
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string ScratchDir::write(const std::string &name, const std::string &text) const
{
    std::string file = path_ + "/" + name;
    std::ofstream out(file, std::ios::binary);
    out << text;
    if (!out.flush())
        throw std::runtime_error("cannot write " + file);
    return file;
}

void checkDiagnostics(const std::function<void()> &load, const std::string &file,
                      const std::vector<ExpectedDiagnostic> &expected)
{
    std::vector<ExpectedFileDiagnostic> inFile;
    inFile.reserve(expected.size());
    for (const ExpectedDiagnostic &e : expected)
        inFile.push_back({file, e.line, e.column, e.message});
    checkDiagnostics(load, inFile);
}

void checkDiagnostics(const std::function<void()> &load,
                      const std::vector<ExpectedFileDiagnostic> &expected)
{
    try {
        load();
        BOOST_ERROR("no ConfigError thrown");
    } catch (const ConfigError &error) {
        const std::vector<Diagnostic> &got = error.diagnostics();
        BOOST_TEST_INFO("what(): " << error.what());
        BOOST_TEST_REQUIRE(got.size() == expected.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
            BOOST_TEST_CONTEXT("diagnostic " << i)
            {
                BOOST_TEST(got[i].file == expected[i].file);
                BOOST_TEST(got[i].line == expected[i].line);
                BOOST_TEST(got[i].column == expected[i].column);
                BOOST_TEST(got[i].message == expected[i].message);
            }
        }
    }
}

} // namespace lockstep::test
