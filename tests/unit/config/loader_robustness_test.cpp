/* What the loaders must get right beyond single bad values: an unknown key that leaves every
 * other key alone, names and numbers bounded by what files and step counters hold, positions for
 * every error (aliases, missing or unreadable rig files), readable messages for bad bytes and
 * for syntax errors whose cause yaml-cpp does not name, and suggestions for misspellings. */
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include "config/diagnostic.h"
#include "config/plan.h"
#include "config/rig.h"
#include "scratch_dir.h"

using namespace lockstep;
using lockstep::test::ScratchDir;

namespace
{

std::string readFile(const std::string &path)
{
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::vector<std::string> lines(const std::string &text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

std::string joined(const std::vector<std::string> &rows)
{
    std::string out;
    for (const std::string &row : rows)
        out += row + "\n";
    return out;
}

/* The diagnostics `load` throws; none if it does not throw. */
std::vector<Diagnostic> diagnosticsOf(const std::function<void()> &load)
{
    try {
        load();
    } catch (const ConfigError &e) {
        return e.diagnostics();
    }
    return {};
}

/* One copy of `text` per key: "bogus_key: {}" inserted before that key, in block style (a line of
 * its own at the key's indentation) or flow style (after "{ " or ", "). Each with the line and
 * column the inserted key has. */
struct Variant {
    std::string text;
    int line;
    int column;
};

std::vector<Variant> withBogusKeyBeforeEachKey(const std::string &text)
{
    static const std::regex blockKey(R"(^( *)([a-z_]+):( |$))");
    static const std::regex flowKey(R"((\{ ?|, )([a-z_]+):)");
    const std::vector<std::string> rows = lines(text);
    std::vector<Variant> variants;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        std::smatch m;
        if (std::regex_search(rows[i], m, blockKey)) {
            std::vector<std::string> copy = rows;
            copy.insert(copy.begin() + static_cast<long>(i), m[1].str() + "bogus_key: {}");
            variants.push_back(
                {joined(copy), static_cast<int>(i) + 1, static_cast<int>(m[1].length()) + 1});
        }
        for (auto it = std::sregex_iterator(rows[i].begin(), rows[i].end(), flowKey);
             it != std::sregex_iterator(); ++it) {
            const auto at = static_cast<std::size_t>(it->position(2));
            std::vector<std::string> copy = rows;
            copy[i].insert(at, "bogus_key: {}, ");
            variants.push_back({joined(copy), static_cast<int>(i) + 1, static_cast<int>(at) + 1});
        }
    }
    return variants;
}

void expectOnlyTheBogusKey(const std::vector<Diagnostic> &got, const std::string &file,
                           const Variant &variant)
{
    BOOST_TEST_CONTEXT("bogus key inserted at " << variant.line << ":" << variant.column)
    {
        BOOST_TEST_REQUIRE(got.size() == 1U);
        BOOST_TEST(got[0].file == file);
        BOOST_TEST(got[0].line == variant.line);
        BOOST_TEST(got[0].column == variant.column);
        BOOST_TEST(got[0].message.find("'bogus_key'") != std::string::npos, got[0].message);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(loader_robustness)

/* The yaml-cpp trap: removing an unknown key by moving Fields assigned YAML::Nodes, and every
 * later key read the next key's value (6 errors, 5 of them false, for one misspelt key). */
BOOST_AUTO_TEST_CASE(an_unknown_key_before_any_rig_key_is_the_only_error)
{
    const ScratchDir dir;
    const std::string reference = readFile(LOCKSTEP_SOURCE_DIR "/conf/rig-turntable-sim.yaml");
    const std::vector<Variant> variants = withBogusKeyBeforeEachKey(reference);
    BOOST_TEST(variants.size() > 30U); /* every key of the example rig, block and flow */
    for (const Variant &variant : variants) {
        const std::string file = dir.write("rig.yaml", variant.text);
        expectOnlyTheBogusKey(diagnosticsOf([&] { loadRig(file); }), file, variant);
    }
}

BOOST_AUTO_TEST_CASE(an_unknown_key_before_any_plan_key_is_the_only_error)
{
    const ScratchDir dir;
    const std::string rig = LOCKSTEP_SOURCE_DIR "/conf/rig-turntable-sim.yaml";
    /* The demo plan, its capture mapping in block style too. */
    const std::string reference = readFile(LOCKSTEP_SOURCE_DIR "/conf/scan-demo.yaml") +
                                  "motion:\n  turntable:\n    max_speed: 45\n    max_accel: 90\n";
    const std::vector<Variant> variants = withBogusKeyBeforeEachKey(reference);
    BOOST_TEST(variants.size() > 20U);
    for (const Variant &variant : variants) {
        const std::string file = dir.write("plan.yaml", variant.text);
        expectOnlyTheBogusKey(diagnosticsOf([&] { loadPlanWithRig(file, rig); }), file, variant);
    }
    /* And without the bogus key the plan loads: the variants differ only by it. */
    const std::string file = dir.write("plan.yaml", reference);
    BOOST_TEST(loadPlanWithRig(file, rig).plan.positions.size() == 8U);
}

BOOST_AUTO_TEST_CASE(misspellings_get_a_suggestion_and_the_allowed_names)
{
    const ScratchDir dir;
    const std::string rig = LOCKSTEP_SOURCE_DIR "/conf/rig-turntable-sim.yaml";
    const std::string plan = dir.write("plan.yaml", "scan: s\n"
                                                    "positions: [{turntabel: 10}]\n"
                                                    "setle_ms: 5\n"
                                                    "cameras: [pi01/cma, pl01/cam]\n");
    const std::vector<Diagnostic> got = diagnosticsOf([&] { loadPlanWithRig(plan, rig); });
    BOOST_TEST_REQUIRE(got.size() == 4U);
    BOOST_TEST(got[0].message == "unknown motor 'turntabel' (did you mean 'turntable'?): rig "
                                 "'turntable-4cam-sim' has motors turntable");
    BOOST_TEST(got[1].message.starts_with(
        "unknown key 'setle_ms' (did you mean 'settle_ms'?) (allowed: scan, rig, positions,"));
    BOOST_TEST(got[2].message == "unknown camera 'pi01/cma': host 'pi01' has no camera 'cma' "
                                 "(did you mean 'cam'?) (cameras: cam)");
    BOOST_TEST(got[3].message == "unknown camera 'pl01/cam': rig 'turntable-4cam-sim' has no host "
                                 "'pl01' (did you mean 'pi01'?) (hosts: pi01, pi02, pi03, pi04)");
    /* Nothing alike: no guess. */
    const std::string far = dir.write("far.yaml", "scan: s\npositions: [{turntable: 1}]\nq: 1\n");
    const std::vector<Diagnostic> farGot = diagnosticsOf([&] { loadPlanWithRig(far, rig); });
    BOOST_TEST_REQUIRE(farGot.size() == 1U);
    BOOST_TEST(farGot[0].message.starts_with("unknown key 'q' (allowed: "));
}

BOOST_AUTO_TEST_CASE(names_and_strings_are_bounded_to_what_a_file_name_can_be)
{
    const ScratchDir dir;
    const std::string rig = LOCKSTEP_SOURCE_DIR "/conf/rig-turntable-sim.yaml";
    const auto only = [&](const std::string &yaml) {
        const std::string file = dir.write("plan.yaml", yaml);
        const std::vector<Diagnostic> got = diagnosticsOf([&] { loadPlanWithRig(file, rig); });
        BOOST_TEST_REQUIRE(got.size() == 1U, yaml.substr(0, 60));
        BOOST_TEST(got[0].message.find('\n') == std::string::npos);
        BOOST_TEST(got[0].message.size() < 400U);
        return got[0];
    };
    const std::string positions = "positions: [{turntable: 1}]\n";
    const Diagnostic longName = only("scan: " + std::string(100'000, 'a') + "\n" + positions);
    BOOST_TEST(longName.line == 1);
    BOOST_TEST(longName.message == "'scan' is too long: 100000 bytes (at most 1024)");
    const Diagnostic name65 = only("scan: " + std::string(65, 'a') + "\n" + positions);
    BOOST_TEST(name65.message == "'scan' is too long: 65 characters (a name has at most 64)");
    const Diagnostic control = only("scan: \"a\\x01b\"\n" + positions);
    BOOST_TEST(control.message ==
               "'scan' contains a control character (\\x01): \"a\\x01b\" (quoted)");
    const Diagnostic badUtf8 =
        only("scan: s\n" + positions + "output: {pattern: \"p\xff{node}\"}\n");
    BOOST_TEST(badUtf8.line == 3);
    BOOST_TEST(badUtf8.message.starts_with("'pattern' contains bytes that are not UTF-8 (\\xff)"));
    /* A name of 64 characters is fine. */
    const std::string ok = dir.write("ok.yaml", "scan: " + std::string(64, 'a') + "\n" + positions);
    BOOST_TEST(loadPlanWithRig(ok, rig).plan.name.size() == 64U);
}

BOOST_AUTO_TEST_CASE(targets_must_fit_the_step_counter)
{
    const ScratchDir dir;
    /* A motor without soft limits: only the step counter bounds its targets. */
    const std::string rig = dir.write(
        "rig.yaml",
        "rig: r\nsim_dir: s\n"
        "nodes:\n"
        "  - host: pi01\n"
        "    motors:\n"
        "      - {name: m, backend: sim, step: {line: 1}, dir: {line: 2}, enable: {line: 3}, "
        "max_speed: 10, max_accel: 20}\n");
    const std::string plan =
        dir.write("plan.yaml", "scan: s\n"
                               "positions:\n"
                               "  sweep: {motor: m, from: -1e308, to: 1e308, count: 3}\n");
    const std::vector<Diagnostic> got = diagnosticsOf([&] { loadPlanWithRig(plan, rig); });
    BOOST_TEST_REQUIRE(got.size() == 2U);
    BOOST_TEST(got[0].message.starts_with("target -1e308 is beyond what motor 'm' can count to"));
    BOOST_TEST(got[1].message.starts_with("target 1e308 is beyond what motor 'm' can count to"));
    const std::string big = dir.write("big.yaml", "scan: s\npositions: [{m: 1e300}]\n");
    BOOST_TEST(diagnosticsOf([&] { loadPlanWithRig(big, rig); }).size() == 1U);
    const std::string fine = dir.write("fine.yaml", "scan: s\npositions: [{m: 1e9}]\n");
    BOOST_TEST(loadPlanWithRig(fine, rig).plan.positions.size() == 1U);
}

BOOST_AUTO_TEST_CASE(the_plans_rig_is_positioned_and_hides_nothing)
{
    const ScratchDir dir;
    /* No rig: said at the plan's top, and the plan's own problems are still all reported. */
    const std::string norig = dir.write("norig.yaml", "scan: s\npositions: [{a: x}]\n");
    std::vector<Diagnostic> got = diagnosticsOf([&] { loadPlanWithItsRig(norig); });
    BOOST_TEST_REQUIRE(got.size() == 2U);
    BOOST_TEST(got[0].line == 1);
    BOOST_TEST(got[0].message.starts_with("the plan names no rig"));
    BOOST_TEST(got[1].message == "'a' must be a number, got 'x'");
    /* A plan whose root is a list: that is its error, not "no rig". */
    const std::string list = dir.write("list.yaml", "- scan: s\n");
    got = diagnosticsOf([&] { loadPlanWithItsRig(list); });
    BOOST_TEST_REQUIRE(got.size() == 2U);
    BOOST_TEST(got[1].message == "'plan file' must be a mapping, got a list");
    /* A rig file that does not exist or is a directory: at the plan's `rig:` value. */
    const std::string missing =
        dir.write("missing.yaml", "scan: s\nrig: nothere.yaml\npositions: [{a: 1}]\n");
    got = diagnosticsOf([&] { loadPlanWithItsRig(missing); });
    BOOST_TEST_REQUIRE(got.size() == 1U);
    BOOST_TEST(got[0].file == missing);
    BOOST_TEST(got[0].line == 2);
    BOOST_TEST(got[0].column == 6);
    BOOST_TEST(got[0].message ==
               "rig file '" + dir.path() + "/nothere.yaml' cannot open: No such file or directory");
    const std::string isDir = dir.write("dir.yaml", "scan: s\nrig: .\npositions: [{a: 1}]\n");
    got = diagnosticsOf([&] { loadPlanWithItsRig(isDir); });
    BOOST_TEST_REQUIRE(got.size() == 1U);
    BOOST_TEST(got[0].line == 2);
    BOOST_TEST(got[0].message.ends_with("is a directory, not a YAML file"));
    /* A NUL in the name is refused with its position and printed readably. */
    const std::string nul = dir.write("nul.yaml", "scan: s\nrig: \"\\x00\"\npositions: [{a: 1}]\n");
    got = diagnosticsOf([&] { loadPlanWithItsRig(nul); });
    BOOST_TEST_REQUIRE(got.size() >= 1U);
    BOOST_TEST(got[0].line == 2);
    BOOST_TEST(got[0].message.find("\\x00") != std::string::npos, got[0].message);
}

BOOST_AUTO_TEST_CASE(an_error_in_an_aliased_value_points_at_the_alias)
{
    const ScratchDir dir;
    const std::string rig = LOCKSTEP_SOURCE_DIR "/conf/rig-turntable-sim.yaml";
    const std::string plan = dir.write("plan.yaml", "scan: s\n"
                                                    "positions: [{turntable: 1}]\n"
                                                    "settle_ms: &slow 700000\n"
                                                    "capture_margin_ms: *slow\n");
    const std::vector<Diagnostic> got = diagnosticsOf([&] { loadPlanWithRig(plan, rig); });
    BOOST_TEST_REQUIRE(got.size() == 2U);
    BOOST_TEST(got[0].line == 3);
    BOOST_TEST(got[1].line == 4); /* not 3, where the anchor is */
    BOOST_TEST(got[1].column == 1);
    BOOST_TEST(got[1].message.starts_with("'capture_margin_ms' must be between 1 and 60000"));
}

BOOST_AUTO_TEST_CASE(anchors_and_aliases_are_read_merge_keys_are_refused)
{
    const ScratchDir dir;
    const std::string rig = LOCKSTEP_SOURCE_DIR "/conf/rig-turntable-sim.yaml";
    /* An alias is the anchored value, read where it is used. */
    const std::string plan =
        dir.write("plan.yaml", "scan: s\n"
                               "positions: [{turntable: 1}]\n"
                               "settle_ms: &wait 120\n"
                               "capture_margin_ms: *wait\n"
                               "capture: &cap { exposure_us: 4000, gain: 2.5 }\n");
    const LoadedConfig loaded = loadPlanWithRig(plan, rig);
    BOOST_TEST(loaded.plan.settle.count() == 120);
    BOOST_TEST(loaded.plan.captureMargin.count() == 120);
    BOOST_TEST(loaded.plan.capture.gain == 2.5);
    /* yaml-cpp 0.7 has no merge keys: `<<` would be an ordinary key holding a mapping, so a
     * merged setting would be silently dropped. It is refused at its position instead. */
    const std::string merged = dir.write("merged.yaml", "scan: s\n"
                                                        "positions: [{turntable: 1}]\n"
                                                        "x: &cap { exposure_us: 4000 }\n"
                                                        "capture: { <<: *cap, gain: 2.5 }\n");
    const std::vector<Diagnostic> got = diagnosticsOf([&] { loadPlanWithRig(merged, rig); });
    BOOST_TEST_REQUIRE(!got.empty());
    bool mergeRefused = false;
    for (const Diagnostic &d : got) {
        BOOST_TEST_INFO(d.line << ":" << d.column << ": " << d.message);
        mergeRefused = mergeRefused || (d.line == 4 && d.column == 12 &&
                                        d.message.find("'<<'") != std::string::npos);
    }
    BOOST_TEST(mergeRefused);
}

BOOST_AUTO_TEST_CASE(infinity_and_not_a_number_are_refused)
{
    const ScratchDir dir;
    const std::string rig = LOCKSTEP_SOURCE_DIR "/conf/rig-turntable-sim.yaml";
    for (const std::string value : {".inf", "-.inf", ".nan", ".NaN", "+.Inf"}) {
        const std::string plan = dir.write("plan.yaml", "scan: s\n"
                                                        "positions: [{turntable: 1}]\n"
                                                        "capture: { exposure_us: 4000, gain: " +
                                                            value + " }\n");
        const std::vector<Diagnostic> got = diagnosticsOf([&] { loadPlanWithRig(plan, rig); });
        BOOST_TEST_INFO("gain: " << value);
        BOOST_TEST_REQUIRE(got.size() == 1U);
        BOOST_TEST(got[0].line == 3);
        BOOST_TEST(got[0].column == 37);
        BOOST_TEST(got[0].message.find("'gain'") != std::string::npos, got[0].message);
        BOOST_TEST(got[0].message.find(value) != std::string::npos, got[0].message);
    }
}

BOOST_AUTO_TEST_CASE(syntax_errors_name_their_cause)
{
    const ScratchDir dir;
    const auto first = [&](const std::string &yaml) {
        const std::string file = dir.write("bad.yaml", yaml);
        const std::vector<Diagnostic> got = diagnosticsOf([&] { loadRig(file); });
        BOOST_TEST_REQUIRE(got.size() == 1U);
        return got[0];
    };
    const Diagnostic quote = first("rig: \"r\nnodes:\n  - host: \"pi01\"\n    cameras: []\n");
    BOOST_TEST(quote.line == 1);
    BOOST_TEST(quote.column == 6);
    BOOST_TEST(quote.message.starts_with("unclosed quote"), quote.message);
    const Diagnostic tab = first("rig: r\nnodes:\n\t- host: pi01\n");
    BOOST_TEST(tab.line == 3);
    BOOST_TEST(tab.message.starts_with("a tab in the indentation"), tab.message);
    const Diagnostic nbsp = first("rig: r\nnodes:\n  - host: pi01\n  \xc2\xa0 cameras: [a\n");
    BOOST_TEST(nbsp.line == 4);
    BOOST_TEST(nbsp.message.starts_with("a no-break space"), nbsp.message);
    const Diagnostic deep = first("rig: " + std::string(10'000, '[') + "\n");
    BOOST_TEST(deep.line == 1);
    BOOST_TEST(deep.column == 70); /* the 65th bracket */
    BOOST_TEST(deep.message.starts_with("brackets nested deeper than 64 levels"));
}

/* Found by tests/fuzz: yaml-cpp 0.7's LoadAll never returns on these (it makes empty documents
 * forever, allocating); the loader must answer, with a position. */
BOOST_AUTO_TEST_CASE(a_comma_at_the_top_level_does_not_hang_the_loader)
{
    const ScratchDir dir;
    for (const char *text : {",\n", ", x\n", "\"a\", b\n", "[a], b\n", "# c\n   , their\n"}) {
        BOOST_TEST_CONTEXT("input " << text)
        {
            const std::string file = dir.write("rig.yaml", text);
            const std::vector<Diagnostic> got = diagnosticsOf([&] { loadRig(file); });
            BOOST_TEST_REQUIRE(!got.empty());
            BOOST_TEST(got[0].line >= 1);
        }
    }
    const std::string file = dir.write("comma.yaml", "# c\n   , their\n");
    const std::vector<Diagnostic> got = diagnosticsOf([&] { loadRig(file); });
    BOOST_TEST_REQUIRE(got.size() == 1U);
    BOOST_TEST(got[0].line == 2);
    BOOST_TEST(got[0].column == 4);
    BOOST_TEST(got[0].message == "no YAML value could be read here; expected a mapping of keys");
}

BOOST_AUTO_TEST_SUITE_END()
