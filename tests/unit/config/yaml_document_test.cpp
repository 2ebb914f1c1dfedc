/* The YAML reader under the loaders (libyaml events into a tree of our own): aliases positioned
 * where they are used, nesting bounded, duplicate keys found in large mappings, and the bytes
 * libyaml refuses in a file reported at the value that holds them. */
#include <string>

#include <boost/test/unit_test.hpp>

#include "config/diagnostic.h"
#include "config/plan.h"
#include "config/rig.h"
#include "config/yaml_reader.h"
#include "scratch_dir.h"

using namespace lockstep;
using lockstep::test::checkDiagnostics;
using lockstep::test::ScratchDir;

namespace
{

const std::string kRig = LOCKSTEP_SOURCE_DIR "/conf/rig-turntable-sim.yaml";

/* The diagnostics of reading the mapping under `key` of `file`'s root with mapEntries, and how
 * many entries it returned. */
std::pair<std::vector<Diagnostic>, std::size_t> readMapping(const std::string &file)
{
    config::Reader reader(file);
    const auto root = reader.load("file");
    BOOST_TEST_REQUIRE(root.has_value());
    const std::vector<config::Field> top = config::mapEntries(reader, *root);
    BOOST_TEST_REQUIRE(top.size() == 1U);
    const std::size_t count = config::mapEntries(reader, top[0]).size();
    try {
        reader.throwIfFailed();
    } catch (const ConfigError &e) {
        return {e.diagnostics(), count};
    }
    return {{}, count};
}

} // namespace

BOOST_AUTO_TEST_SUITE(yaml_document)

BOOST_AUTO_TEST_CASE(an_error_inside_an_aliased_mapping_points_at_the_alias)
{
    const ScratchDir dir;
    /* The anchored position is outside the soft limits: reported where it is written, and again
     * where the alias repeats it (not twice at the anchor). */
    const std::string plan = dir.write("plan.yaml", "scan: s\n"
                                                    "positions:\n"
                                                    "  - &p {turntable: 800}\n"
                                                    "  - {turntable: 1}\n"
                                                    "  - *p\n");
    const std::string limits = "target 800 is outside the soft limits of motor 'turntable' "
                               "(-720 .. 720)";
    checkDiagnostics([&] { loadPlanWithRig(plan, kRig); }, plan, {{3, 20, limits}, {5, 5, limits}});
    /* A good aliased position is read like the original. */
    const std::string good = dir.write("good.yaml", "scan: s\n"
                                                    "positions:\n"
                                                    "  - &p {turntable: 80}\n"
                                                    "  - *p\n");
    const LoadedConfig loaded = loadPlanWithRig(good, kRig);
    BOOST_TEST_REQUIRE(loaded.plan.positions.size() == 2U);
    BOOST_TEST(loaded.plan.positions[1].targets.at("turntable") == 80.0);
}

BOOST_AUTO_TEST_CASE(an_alias_needs_a_complete_anchor_before_it)
{
    const ScratchDir dir;
    const std::string unknown = dir.write("unknown.yaml", "rig: r\nsim_dir: *nope\n");
    checkDiagnostics([&] { loadRig(unknown); }, unknown,
                     {{2, 10, "unknown alias '*nope': no anchor '&nope' is complete before it"}});
    /* An alias inside its own anchor's node would make a cycle. */
    const std::string cycle = dir.write("cycle.yaml", "rig: r\nnodes: &n [*n]\n");
    checkDiagnostics([&] { loadRig(cycle); }, cycle,
                     {{2, 12, "unknown alias '*n': no anchor '&n' is complete before it"}});
}

BOOST_AUTO_TEST_CASE(nesting_is_bounded_in_block_style_too)
{
    const ScratchDir dir;
    /* "- - - ... x": each dash opens a list, two columns right of the previous one. */
    std::string deep;
    for (int i = 0; i < 10'000; ++i)
        deep += "- ";
    deep += "x\n";
    const std::string list = dir.write("list.yaml", deep);
    checkDiagnostics([&] { loadRig(list); }, list,
                     {{1, 2 * 256 + 1,
                       "values nested deeper than 256 levels; a lockstep file needs a handful"}});
    /* 300 mappings, one inside the other, each on a line of its own. */
    std::string maps;
    for (int i = 0; i < 300; ++i)
        maps += std::string(static_cast<std::size_t>(2 * i), ' ') + "a:\n";
    const std::string block = dir.write("block.yaml", maps);
    checkDiagnostics([&] { loadRig(block); }, block,
                     {{257, 2 * 256 + 1,
                       "values nested deeper than 256 levels; a lockstep file needs a handful"}});
}

BOOST_AUTO_TEST_CASE(duplicate_keys_are_found_in_large_mappings)
{
    const ScratchDir dir;
    /* Mappings of up to 16 keys are checked pairwise, larger ones through a hash set: both
     * sides of the boundary, and a mapping of 200,000 keys. */
    for (const int keys : {16, 17, 200'000}) {
        BOOST_TEST_CONTEXT(keys << " keys")
        {
            std::string text = "m:\n";
            for (int i = 0; i < keys - 2; ++i)
                text += "  k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
            text += "  k3: again\n";                            /* line keys */
            text += "  k" + std::to_string(keys - 3) + ": x\n"; /* line keys + 1 */
            const auto [got, count] = readMapping(dir.write("map.yaml", text));
            BOOST_TEST(count == static_cast<std::size_t>(keys - 2));
            BOOST_TEST_REQUIRE(got.size() == 2U);
            BOOST_TEST(got[0].line == keys);
            BOOST_TEST(got[0].column == 3);
            BOOST_TEST(got[0].message == "duplicate key 'k3' (first at line 5)");
            BOOST_TEST(got[1].line == keys + 1);
            BOOST_TEST(got[1].message == "duplicate key 'k" + std::to_string(keys - 3) +
                                             "' (first at line " + std::to_string(keys - 1) + ")");
        }
    }
}

BOOST_AUTO_TEST_CASE(bytes_the_parser_refuses_are_reported_at_their_value)
{
    const ScratchDir dir;
    const std::string positions = "positions: [{turntable: 1}]\n";
    /* A raw control character, a raw NUL and a byte that is not UTF-8: libyaml refuses each
     * for the whole file; the loader names it at the value. */
    const std::string control = dir.write("control.yaml", "scan: \"a\x01z\"\n" + positions);
    checkDiagnostics([&] { loadPlanWithRig(control, kRig); }, control,
                     {{1, 7, "'scan' contains a control character (\\x01): \"a\\x01z\" (quoted)"}});
    const std::string nul = dir.write("nul.yaml", std::string("scan: a\0z\n", 10) + positions);
    checkDiagnostics([&] { loadPlanWithRig(nul, kRig); }, nul,
                     {{1, 7, "'scan' contains a control character (\\x00): 'a\\x00z'"}});
    const std::string latin1 = dir.write("latin1.yaml", positions + "scan: caf\xe9\n");
    checkDiagnostics([&] { loadPlanWithRig(latin1, kRig); }, latin1,
                     {{2, 7, "'scan' contains bytes that are not UTF-8 (\\xe9): 'caf\\xe9'"}});
    /* Good UTF-8 in a file with a refused byte comes through unchanged (a name must be ASCII). */
    const std::string utf8 = dir.write("utf8.yaml", positions + "scan: caf\xc3\xa9\n" +
                                                        "output: {pattern: \"p\x01\"}\n");
    checkDiagnostics(
        [&] { loadPlanWithRig(utf8, kRig); }, utf8,
        {{2, 7,
          "'scan' may contain only letters, digits, '.', '_' and '-', and must not "
          "start with '.' or '-', got 'caf\xc3\xa9'"},
         {3, 19, "'pattern' contains a control character (\\x01): \"p\\x01\" (quoted)"}});
}

BOOST_AUTO_TEST_CASE(null_is_plain_only)
{
    const ScratchDir dir;
    for (const char *null : {"", "~", "null", "Null", "NULL"}) {
        BOOST_TEST_CONTEXT("scan: " << null)
        {
            const std::string file = dir.write("plan.yaml", std::string("scan: ") + null +
                                                                "\npositions: [{turntable: 1}]\n");
            checkDiagnostics([&] { loadPlanWithRig(file, kRig); }, file,
                             {{1, 1, "'scan' must be a string, got nothing"}});
        }
    }
    const std::string quoted =
        dir.write("quoted.yaml", "scan: \"null\"\npositions: [{turntable: 1}]\n");
    BOOST_TEST(loadPlanWithRig(quoted, kRig).plan.name == "null");
}

BOOST_AUTO_TEST_SUITE_END()
