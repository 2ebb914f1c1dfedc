#include "config/yaml_reader.h"

#include <algorithm>
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

bool isPlain(const YAML::Node &node)
{
    return node.Tag() == "?";
}

/* How a value looks, for "got ..." in messages. */
std::string describe(const YAML::Node &node)
{
    if (!node.IsDefined() || node.IsNull())
        return "nothing";
    if (node.IsMap())
        return "a mapping";
    if (node.IsSequence())
        return "a list";
    if (isPlain(node))
        return "'" + node.Scalar() + "'";
    return "\"" + node.Scalar() + "\" (quoted)";
}

/* "a, b, c" */
std::string joinNames(std::initializer_list<const char *> names)
{
    std::string out;
    for (const char *name : names) {
        if (!out.empty())
            out += ", ";
        out += name;
    }
    return out;
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
    const YAML::Node &node = field.value;
    if (!node.IsScalar() || !isPlain(node)) {
        reader.error(field, label(field) + " must be " + kind + ", got " + describe(node));
        return std::nullopt;
    }
    std::string_view text = node.Scalar();
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
    reader.error(field, label(field) + " must be " + bound + ", got " + field.value.Scalar());
    return false;
}

} // namespace

YAML::Mark Field::mark() const
{
    return value.IsDefined() && !value.IsNull() ? value.Mark() : keyMark;
}

std::optional<Field> Reader::load(const std::string &what)
{
    std::error_code ec;
    if (std::filesystem::is_directory(file_, ec)) {
        error(YAML::Mark::null_mark(), "is a directory, not a YAML file");
        return std::nullopt;
    }
    std::ifstream in(file_);
    if (!in) {
        error(YAML::Mark::null_mark(), std::string("cannot open: ") + std::strerror(errno));
        return std::nullopt;
    }
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(in);
    } catch (const YAML::Exception &e) {
        error(e.mark, e.msg);
        return std::nullopt;
    }
    if (documents.empty() || documents.front().IsNull()) {
        error(YAML::Mark(), "the file is empty; expected a mapping");
        return std::nullopt;
    }
    if (documents.size() > 1)
        error(documents[1].Mark(), "only one YAML document is allowed per file");
    return Field{what, documents.front().Mark(), documents.front()};
}

void Reader::error(const YAML::Mark &mark, std::string message)
{
    diagnostics_.push_back({file_, mark.line + 1, mark.column + 1, std::move(message)});
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
    if (!field.value.IsMap()) {
        reader.error(field, label(field) + " must be a mapping, got " + describe(field.value));
        return entries;
    }
    for (const auto &entry : field.value) {
        const YAML::Node &key = entry.first;
        if (!key.IsScalar()) {
            reader.error(key.Mark(), "a key must be a plain name, got " + describe(key));
            continue;
        }
        const auto first = std::find_if(entries.begin(), entries.end(),
                                        [&](const Field &f) { return f.name == key.Scalar(); });
        if (first != entries.end()) {
            reader.error(key.Mark(), "duplicate key '" + key.Scalar() + "' (first at line " +
                                         std::to_string(first->keyMark.line + 1) + ")");
            continue;
        }
        entries.push_back({key.Scalar(), key.Mark(), entry.second});
    }
    return entries;
}

MapReader::MapReader(Reader &reader, const Field &field, std::initializer_list<const char *> keys)
    : reader_(reader), field_(field), isMap_(field.value.IsMap()),
      entries_(mapEntries(reader, field))
{
    std::erase_if(entries_, [&](const Field &entry) {
        const bool known = std::any_of(keys.begin(), keys.end(),
                                       [&](const char *key) { return entry.name == key; });
        if (!known)
            reader_.error(entry.keyMark,
                          "unknown key '" + entry.name + "' (allowed: " + joinNames(keys) + ")");
        return !known;
    });
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

std::vector<Field> sequenceEntries(Reader &reader, const Field &field, bool allowEmpty)
{
    std::vector<Field> entries;
    if (!field.value.IsSequence()) {
        reader.error(field, label(field) + " must be a list, got " + describe(field.value));
        return entries;
    }
    if (field.value.size() == 0 && !allowEmpty)
        reader.error(field, label(field) + " must not be empty");
    std::size_t index = 0;
    for (const YAML::Node &item : field.value) {
        entries.push_back({field.name + "[" + std::to_string(index++) + "]", item.Mark(), item});
        /* An empty item has no mark of its own: fall back to the list's. */
        if (item.IsNull())
            entries.back().keyMark = field.mark();
    }
    return entries;
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
        reader.error(field, label(field) + " is out of range: " + field.value.Scalar());
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
        reader.error(field, label(field) + " is out of range: " + field.value.Scalar());
        return std::nullopt;
    }
    if (!checkRange(reader, field, static_cast<double>(value), range))
        return std::nullopt;
    return value;
}

std::optional<bool> readBool(Reader &reader, const Field &field)
{
    const YAML::Node &node = field.value;
    if (node.IsScalar() && isPlain(node) && (node.Scalar() == "true" || node.Scalar() == "false"))
        return node.Scalar() == "true";
    reader.error(field, label(field) + " must be true or false, got " + describe(node));
    return std::nullopt;
}

std::optional<std::string> readString(Reader &reader, const Field &field)
{
    const YAML::Node &node = field.value;
    if (!node.IsScalar()) {
        reader.error(field, label(field) + " must be a string, got " + describe(node));
        return std::nullopt;
    }
    if (node.Scalar().empty()) {
        reader.error(field, label(field) + " must not be empty");
        return std::nullopt;
    }
    return node.Scalar();
}

std::optional<std::string> readName(Reader &reader, const Field &field)
{
    auto name = readString(reader, field);
    if (!name)
        return std::nullopt;
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
    const YAML::Node &node = field.value;
    if (node.IsScalar()) {
        const auto it = std::find_if(choices.begin(), choices.end(),
                                     [&](const char *choice) { return node.Scalar() == choice; });
        if (it != choices.end())
            return static_cast<std::size_t>(it - choices.begin());
    }
    reader.error(field, label(field) + " must be one of " + joinNames(choices) + ", got " +
                            describe(node));
    return std::nullopt;
}

} // namespace lockstep::config
