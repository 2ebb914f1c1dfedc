#include "config/yaml_reader.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace lockstep::config
{

namespace
{

/* The names of a mapping's entries so far, by their index in the entries' vector: open
 * addressing over a flat array of (hash, index) pairs, one memory access per key in the common
 * case. std::unordered_map allocates a node per key and takes three times as long on a mapping
 * of a million keys; Debian 12's Boost (1.74) has no flat hash set yet. */
class KeySet
{
public:
    /* Up to this many keys, comparing each with all the others is faster. */
    static constexpr std::size_t kSmall = 16;

    /* How many keys ahead of the one inserted to prefetch the slot of: the slots are read in
     * random order, a cache miss each in a large mapping; a few in flight at once hide most of
     * that wait (a third of the duplicate check's time on a million keys). */
    static constexpr std::size_t kAhead = 8;

    explicit KeySet(std::size_t keys) : slots_(std::bit_ceil(2 * keys)) {}

    /* Brings the slot where `name` starts its search into the cache. */
    void prefetch(std::string_view name) const
    {
        __builtin_prefetch(&slots_[std::hash<std::string_view>{}(name) & (slots_.size() - 1)]);
    }

    /* Adds `name`, which will be entries[index]; or returns the index of the entry that has it. */
    std::optional<std::size_t> insert(std::string_view name, std::size_t index,
                                      const std::vector<Field> &entries)
    {
        const std::size_t hash = std::hash<std::string_view>{}(name);
        const auto tag = static_cast<uint32_t>(hash >> 32);
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            Slot &slot = slots_[i];
            if (slot.entry == 0) {
                slot = {tag, static_cast<uint32_t>(index + 1)};
                return std::nullopt;
            }
            if (slot.tag == tag && entries[slot.entry - 1].name == name)
                return slot.entry - 1;
        }
    }

private:
    struct Slot {
        uint32_t tag = 0;
        uint32_t entry = 0; /* index + 1; 0: free */
    };
    std::vector<Slot> slots_;
};

/* How a value looks, for "got ..." in messages. */
std::string describe(const Node &node)
{
    if (!node.isDefined() || node.isNull())
        return "nothing";
    if (node.isMap())
        return "a mapping";
    if (node.isSequence())
        return "a list";
    if (node.isPlain())
        return "'" + printable(node.scalar()) + "'";
    return "\"" + printable(node.scalar()) + "\" (quoted)";
}

bool isControl(unsigned char c)
{
    return c < 0x20 || c == 0x7F;
}

/* "a control character (\x0a)" or "bytes that are not UTF-8 (\xff)" for the first offender. */
std::optional<std::string> firstUnprintable(std::string_view text)
{
    char hex[8];
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t n = utf8Length(text, i);
        if (n == 0 || (n == 1 && isControl(c))) {
            std::snprintf(hex, sizeof(hex), "\\x%02x", c);
            return std::string(n == 0 ? "bytes that are not UTF-8 (" : "a control character (") +
                   hex + ")";
        }
        i += n;
    }
    return std::nullopt;
}

/* Edit distance counting a swap of two neighbours as one edit ('cma' -> 'cam'), as typing
 * errors go (optimal string alignment). For suggestions among a handful of short names. */
std::size_t editDistance(std::string_view a, std::string_view b)
{
    const std::size_t w = b.size() + 1;
    std::vector<std::size_t> d((a.size() + 1) * w);
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i * w] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            std::size_t best = std::min(
                {d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, d[(i - 1) * w + j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                best = std::min(best, d[(i - 2) * w + j - 2] + 1);
            d[i * w + j] = best;
        }
    return d[a.size() * w + b.size()];
}

std::vector<std::string> names(std::initializer_list<const char *> list)
{
    return {list.begin(), list.end()};
}

std::string label(const Field &field)
{
    return "'" + field.name + "'";
}

std::string formatNumber(double value)
{
    char buf[32];
    if (std::abs(value) < 1e15 && value == std::trunc(value))
        std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(value));
    else
        std::snprintf(buf, sizeof(buf), "%g", value);
    return buf;
}

enum class NumberShape { Invalid, Integer, Decimal, LeadingZero };

/* Decimal numbers only, as YAML 1.2 writes them: [-+] digits [. digits] [e [-+] digits]. */
NumberShape numberShape(std::string_view text)
{
    const auto digitsFrom = [&](std::size_t i) {
        while (i < text.size() && text[i] >= '0' && text[i] <= '9')
            ++i;
        return i;
    };
    std::size_t i = 0;
    if (i < text.size() && (text[i] == '+' || text[i] == '-'))
        ++i;
    const std::size_t intStart = i;
    i = digitsFrom(i);
    const std::size_t intDigits = i - intStart;
    bool decimal = false;
    if (i < text.size() && text[i] == '.') {
        const std::size_t fracStart = ++i;
        i = digitsFrom(i);
        if (intDigits == 0 && i == fracStart)
            return NumberShape::Invalid;
        decimal = true;
    } else if (intDigits == 0) {
        return NumberShape::Invalid;
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-'))
            ++i;
        const std::size_t expStart = i;
        i = digitsFrom(i);
        if (i == expStart)
            return NumberShape::Invalid;
        decimal = true;
    }
    if (i != text.size())
        return NumberShape::Invalid;
    if (intDigits > 1 && text[intStart] == '0')
        return NumberShape::LeadingZero;
    return decimal ? NumberShape::Decimal : NumberShape::Integer;
}

/* The text of a plain scalar that has the shape of a number, or nullopt after reporting. */
std::optional<std::string_view> numberText(Reader &reader, const Field &field, const char *kind,
                                           NumberShape &shape)
{
    const Node &node = field.value;
    if (!node.isScalar() || !node.isPlain()) {
        reader.error(field, label(field) + " must be " + kind + ", got " + describe(node));
        return std::nullopt;
    }
    std::string_view text = node.scalar();
    shape = numberShape(text);
    if (shape == NumberShape::Invalid) {
        reader.error(field, label(field) + " must be " + kind + ", got " + describe(node));
        return std::nullopt;
    }
    if (shape == NumberShape::LeadingZero) {
        reader.error(field, label(field) + " has a leading zero: '" + std::string(text) +
                                "' (YAML reads it as octal); write it without the zero");
        return std::nullopt;
    }
    if (text.front() == '+')
        text.remove_prefix(1); /* from_chars takes no '+' */
    return text;
}

bool checkRange(Reader &reader, const Field &field, double value, const Range &range)
{
    const bool low = range.above ? value <= range.min : value < range.min;
    if (!low && value <= range.max)
        return true;
    const bool hasMin = std::isfinite(range.min);
    const bool hasMax = std::isfinite(range.max);
    std::string bound;
    if (hasMin && hasMax)
        bound = range.above
                    ? "greater than " + formatNumber(range.min) + " and at most " +
                          formatNumber(range.max)
                    : "between " + formatNumber(range.min) + " and " + formatNumber(range.max);
    else if (hasMin)
        bound = (range.above ? "greater than " : "at least ") + formatNumber(range.min);
    else
        bound = "at most " + formatNumber(range.max);
    reader.error(field,
                 label(field) + " must be " + bound + ", got " + printable(field.value.scalar()));
    return false;
}

Mark markAt(int line, int column)
{
    return {line, column};
}

/* The first character that is not blank, a comment or a document marker line. */
std::optional<Mark> firstContent(std::string_view text)
{
    int line = 0;
    for (std::size_t start = 0; start < text.size(); ++line) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        const std::string_view row = text.substr(start, end - start);
        start = end + 1;
        const std::size_t at = row.find_first_not_of(" \t\r");
        if (at == std::string_view::npos || row[at] == '#' || row == "---" || row == "...")
            continue;
        return markAt(line, static_cast<int>(at));
    }
    return std::nullopt;
}

/* A cause of a syntax error at or before `stop` that the parser's message does not name: a tab
 * or a no-break space in the indentation, or a quoted string that does not end on its line (the
 * parser notices these lines later, as a symptom). */
std::optional<std::pair<Mark, std::string>> syntaxCause(std::string_view text, const Mark &stop)
{
    int line = 0;
    for (std::size_t start = 0; start < text.size() && line <= stop.line; ++line) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        const std::string_view row = text.substr(start, end - start);
        start = end + 1;
        std::size_t i = 0;
        while (i < row.size() && row[i] == ' ')
            ++i;
        if (i < row.size() && row[i] == '\t')
            return std::pair{
                markAt(line, static_cast<int>(i)),
                std::string("a tab in the indentation: YAML indents with spaces only")};
        if (row.substr(i).starts_with("\xc2\xa0"))
            return std::pair{markAt(line, static_cast<int>(i)),
                             std::string("a no-break space (U+00A0) in the indentation: YAML "
                                         "indents with plain spaces only")};
        /* A quote that opens a value (after "key: ", "- ", "[", "{" or ",") must close on its
         * line in a lockstep file. */
        char previous = ' ';
        for (; i < row.size(); ++i) {
            const char c = row[i];
            if (c == '#' && previous == ' ')
                break;
            const bool opens =
                (c == '"' || c == '\'') && (previous == ' ' || previous == '[' || previous == '{' ||
                                            previous == ',' || previous == '-' || previous == ':');
            if (opens) {
                std::size_t j = i + 1;
                for (; j < row.size(); ++j) {
                    if (c == '"' && row[j] == '\\') {
                        ++j;
                    } else if (row[j] == c) {
                        if (c == '\'' && j + 1 < row.size() && row[j + 1] == '\'')
                            ++j; /* '' is a quote inside single quotes */
                        else
                            break;
                    }
                }
                if (j >= row.size())
                    return std::pair{markAt(line, static_cast<int>(i)),
                                     std::string("unclosed quote: the string that starts here "
                                                 "does not end on its line")};
                i = j;
            }
            previous = c;
        }
    }
    return std::nullopt;
}

} // namespace

Mark Field::mark() const
{
    if (!value.isDefined() || value.isNull() || value.viaAlias())
        return keyMark;
    return value.mark();
}

std::optional<Field> Reader::load(const std::string &what)
{
    std::error_code ec;
    if (std::filesystem::is_directory(file_, ec)) {
        error(Mark::none(), "is a directory, not a YAML file");
        return std::nullopt;
    }
    std::ifstream in(file_, std::ios::binary);
    if (!in) {
        error(Mark::none(), std::string("cannot open: ") + std::strerror(errno));
        return std::nullopt;
    }
    std::string text;
    if (const auto size = std::filesystem::file_size(file_, ec); !ec && size <= Document::kMaxSize)
        text.reserve(size); /* a hint: the file is read to its end whatever its size */
    std::array<char, 1 << 16> chunk{};
    /* Read to one chunk beyond the largest file allowed, then refused below. */
    while (text.size() <= Document::kMaxSize &&
           (in.read(chunk.data(), chunk.size()) || in.gcount() > 0))
        text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (in.bad()) {
        error(Mark::none(), std::string("cannot read: ") + std::strerror(errno));
        return std::nullopt;
    }
    if (text.size() > Document::kMaxSize) {
        error(Mark::none(), "is too large: more than " + std::to_string(Document::kMaxSize) +
                                " bytes (a lockstep file is at most that)");
        return std::nullopt;
    }
    ParseError failure;
    std::optional<Mark> second;
    document_ = Document::parse(text, failure, second);
    if (!document_) {
        /* The parser names the symptom where it noticed it ("end of map not found" lines below
         * an unclosed quote); say the cause where it is, when it is one we recognise. */
        if (const auto cause = syntaxCause(text, failure.mark))
            error(cause->first, cause->second + " (the YAML parser then stopped at line " +
                                    std::to_string(failure.mark.line + 1) + ": " + failure.message +
                                    ")");
        else if (const auto content = failure.atStart ? firstContent(text) : std::nullopt)
            error(*content, "no YAML value could be read here; expected a mapping of keys");
        else
            error(failure.mark, failure.message);
        return std::nullopt;
    }
    const Node root = document_->root();
    if (!root.isDefined() || root.isNull()) {
        if (const auto content = firstContent(text))
            error(*content, "no YAML value could be read here; expected a mapping of keys");
        else
            error(Mark(), "the file is empty; expected a mapping");
        return std::nullopt;
    }
    if (second)
        error(*second, "only one YAML document is allowed per file");
    return Field{what, root.mark(), root};
}

void Reader::error(const Mark &mark, const std::string &message)
{
    /* Values quoted in messages are already printable(); this catches what is left (a NUL or
     * newline from a file name) so that one diagnostic is always one line. */
    diagnostics_.push_back({file_, mark.line + 1, mark.column + 1, printable(message, 4096)});
}

void Reader::throwIfFailed()
{
    if (diagnostics_.empty())
        return;
    std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                     [](const Diagnostic &a, const Diagnostic &b) {
                         return a.line != b.line ? a.line < b.line : a.column < b.column;
                     });
    throw ConfigError(std::move(diagnostics_));
}

std::vector<Field> mapEntries(Reader &reader, const Field &field)
{
    std::vector<Field> entries;
    mapEntries(reader, field, entries);
    return entries;
}

void mapEntries(Reader &reader, const Field &field, std::vector<Field> &entries)
{
    entries.clear();
    const Node &map = field.value;
    if (!map.isMap()) {
        reader.error(field, label(field) + " must be a mapping, got " + describe(map));
        return;
    }
    const std::size_t size = map.size();
    entries.reserve(size);
    std::optional<KeySet> seen;
    if (size > KeySet::kSmall)
        seen.emplace(size);
    for (std::size_t i = 0; i < size; ++i) {
        const Node key = map.key(i);
        if (!key.isScalar()) {
            reader.error(key.mark(), "a key must be a plain name, got " + describe(key));
            continue;
        }
        const std::string_view name = key.scalar();
        /* The first entry with this name: compared one by one in a small mapping (most are),
         * through the hash set in a large one, so that a million keys take linear time. */
        const Field *first = nullptr;
        if (seen) {
            if (i + KeySet::kAhead < size)
                if (const Node ahead = map.key(i + KeySet::kAhead); ahead.isScalar())
                    seen->prefetch(ahead.scalar());
            if (const auto at = seen->insert(name, entries.size(), entries))
                first = &entries[*at];
        } else {
            const auto it = std::find_if(entries.begin(), entries.end(),
                                         [&](const Field &entry) { return entry.name == name; });
            first = it == entries.end() ? nullptr : &*it;
        }
        if (first) {
            reader.error(key.mark(), "duplicate key '" + printable(name) + "' (first at line " +
                                         std::to_string(first->keyMark.line + 1) + ")");
            continue;
        }
        entries.push_back({std::string(name), key.mark(), map.value(i)});
    }
}

MapReader::MapReader(Reader &reader, const Field &field, std::initializer_list<const char *> keys)
    : reader_(reader), field_(field), isMap_(field.value.isMap())
{
    for (Field &entry : mapEntries(reader, field)) {
        const bool known = std::any_of(keys.begin(), keys.end(),
                                       [&](const char *key) { return entry.name == key; });
        if (known)
            entries_.push_back(std::move(entry));
        else
            reader_.error(entry.keyMark, "unknown key '" + printable(entry.name) + "'" +
                                             didYouMean(entry.name, names(keys)) +
                                             " (allowed: " + joinNames(names(keys)) + ")");
    }
}

const Field *MapReader::find(std::string_view key) const
{
    const auto it = std::find_if(entries_.begin(), entries_.end(),
                                 [&](const Field &entry) { return entry.name == key; });
    return it == entries_.end() ? nullptr : &*it;
}

const Field *MapReader::require(std::string_view key)
{
    const Field *entry = find(key);
    if (!entry && isMap_)
        reader_.error(field_, "missing required key '" + std::string(key) + "'");
    return entry;
}

SequenceItems sequenceEntries(Reader &reader, const Field &field, bool allowEmpty)
{
    if (!field.value.isSequence()) {
        reader.error(field, label(field) + " must be a list, got " + describe(field.value));
        return {};
    }
    if (field.value.size() == 0 && !allowEmpty)
        reader.error(field, label(field) + " must not be empty");
    return SequenceItems(field);
}

Field SequenceItems::at(std::size_t index) const
{
    Field field;
    fill(index, field);
    return field;
}

void SequenceItems::fill(std::size_t index, Field &field) const
{
    const Node item = list_.item(index);
    std::array<char, 24> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), index).ptr;
    field.name.assign(name_).append("[").append(digits.data(), end).append("]");
    /* An empty item has no mark of its own: fall back to the list's. */
    field.keyMark = item.isNull() ? mark_ : item.mark();
    field.value = item;
}

std::optional<double> readNumber(Reader &reader, const Field &field, const Range &range)
{
    NumberShape shape{};
    const auto text = numberText(reader, field, "a number", shape);
    if (!text)
        return std::nullopt;
    double value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size() || !std::isfinite(value)) {
        reader.error(field, label(field) + " is out of range: " + printable(field.value.scalar()));
        return std::nullopt;
    }
    if (!checkRange(reader, field, value, range))
        return std::nullopt;
    return value;
}

std::optional<int64_t> readInteger(Reader &reader, const Field &field, const Range &range)
{
    NumberShape shape{};
    const auto text = numberText(reader, field, "a whole number", shape);
    if (!text)
        return std::nullopt;
    if (shape != NumberShape::Integer) {
        reader.error(field, label(field) + " must be a whole number, got " + describe(field.value));
        return std::nullopt;
    }
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size()) {
        reader.error(field, label(field) + " is out of range: " + printable(field.value.scalar()));
        return std::nullopt;
    }
    if (!checkRange(reader, field, static_cast<double>(value), range))
        return std::nullopt;
    return value;
}

std::optional<bool> readBool(Reader &reader, const Field &field)
{
    const Node &node = field.value;
    if (node.isScalar() && node.isPlain() && (node.scalar() == "true" || node.scalar() == "false"))
        return node.scalar() == "true";
    reader.error(field, label(field) + " must be true or false, got " + describe(node));
    return std::nullopt;
}

std::optional<std::string> readString(Reader &reader, const Field &field)
{
    const Node &node = field.value;
    if (!node.isScalar()) {
        reader.error(field, label(field) + " must be a string, got " + describe(node));
        return std::nullopt;
    }
    const std::string_view text = node.scalar();
    if (text.empty()) {
        reader.error(field, label(field) + " must not be empty");
        return std::nullopt;
    }
    if (text.size() > kMaxStringLength) {
        reader.error(field, label(field) + " is too long: " + std::to_string(text.size()) +
                                " bytes (at most " + std::to_string(kMaxStringLength) + ")");
        return std::nullopt;
    }
    if (const auto bad = firstUnprintable(text)) {
        reader.error(field, label(field) + " contains " + *bad + ": " + describe(node));
        return std::nullopt;
    }
    return std::string(text);
}

std::optional<std::string> readName(Reader &reader, const Field &field)
{
    auto name = readString(reader, field);
    if (!name)
        return std::nullopt;
    if (name->size() > kMaxNameLength) {
        reader.error(field, label(field) + " is too long: " + std::to_string(name->size()) +
                                " characters (a name has at most " +
                                std::to_string(kMaxNameLength) + ")");
        return std::nullopt;
    }
    const auto allowed = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    };
    if (!std::all_of(name->begin(), name->end(), allowed) || name->front() == '.' ||
        name->front() == '-') {
        reader.error(field, label(field) +
                                " may contain only letters, digits, '.', '_' and '-', and must "
                                "not start with '.' or '-', got " +
                                describe(field.value));
        return std::nullopt;
    }
    return name;
}

std::optional<std::size_t> readChoice(Reader &reader, const Field &field,
                                      std::initializer_list<const char *> choices)
{
    const Node &node = field.value;
    if (node.isScalar()) {
        const auto it = std::find_if(choices.begin(), choices.end(),
                                     [&](const char *choice) { return node.scalar() == choice; });
        if (it != choices.end())
            return static_cast<std::size_t>(it - choices.begin());
    }
    reader.error(field, label(field) + " must be one of " + joinNames(names(choices)) + ", got " +
                            describe(node));
    return std::nullopt;
}

std::size_t utf8Length(std::string_view text, std::size_t i)
{
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    std::size_t n = 0;
    unsigned min = 0;
    unsigned cp = 0;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        n = 2, min = 0x80, cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, min = 0x800, cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, cp = c & 0x07u;
    } else {
        return 0;
    }
    if (i + n > text.size())
        return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

std::string didYouMean(std::string_view name, const std::vector<std::string> &known)
{
    if (name.size() > 2 * kMaxNameLength)
        return "";
    const std::string *best = nullptr;
    std::size_t bestDistance = 0;
    for (const std::string &candidate : known) {
        const std::size_t d = editDistance(name, candidate);
        if (!best || d < bestDistance)
            best = &candidate, bestDistance = d;
    }
    /* Up to a third of the name may be wrong: 'setle_ms' -> 'settle_ms', not 'a' -> 'scan'. */
    if (!best || bestDistance == 0 || bestDistance > std::max<std::size_t>(1, name.size() / 3))
        return "";
    return " (did you mean '" + *best + "'?)";
}

std::string joinNames(const std::vector<std::string> &names)
{
    std::string out;
    for (const std::string &name : names) {
        if (!out.empty())
            out += ", ";
        out += name;
    }
    return out;
}

std::string printable(std::string_view text, std::size_t max)
{
    std::string out;
    char hex[8];
    std::size_t i = 0;
    while (i < text.size() && out.size() < max) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t n = utf8Length(text, i);
        if (n == 0 || (n == 1 && isControl(c))) {
            std::snprintf(hex, sizeof(hex), "\\x%02x", c);
            out += hex;
            ++i;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
    if (i < text.size())
        out += "... (" + std::to_string(text.size()) + " bytes)";
    return out;
}

} // namespace lockstep::config
