/* Internal to lockstep_config: strict, position-aware reading of YAML documents.
 *
 * A YAML parser accepts duplicate keys, reads 010 as 8 and knows nothing about the keys a file
 * may have; these helpers check all of that and collect every problem in a Reader instead of
 * stopping at the first one. The document itself is read by yaml_document.h (libyaml). */
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/diagnostic.h"
#include "config/yaml_document.h"

namespace lockstep::config
{

/* A value with its name and where its key stands (an empty value has no useful mark of its
 * own: the parser puts it where the next token is). */
struct Field {
    std::string name; /* the key, or "key[i]" for a sequence entry */
    Mark keyMark;
    Node value;

    /* Where a problem with the value is reported: the value's own position, or the key's when
     * the value is empty or reached through an alias (the user wants to see where the value was
     * used). */
    Mark mark() const;
};

class Reader
{
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    const std::string &file() const { return file_; }

    /* Reads and parses the file; a read or syntax error becomes a diagnostic and nullopt. The
     * result is the document's root as a Field named `what`, valid as long as this Reader and
     * until its next load. */
    std::optional<Field> load(const std::string &what);

    void error(const Mark &mark, const std::string &message);
    void error(const Field &field, const std::string &message) { error(field.mark(), message); }
    bool failed() const { return !diagnostics_.empty(); }
    /* How many problems were reported so far: compared before and after reading some keys, it
     * tells whether all of them were good. */
    std::size_t errorCount() const { return diagnostics_.size(); }
    /* Throws ConfigError with every diagnostic, in file order, if there is any. */
    void throwIfFailed();

private:
    std::string file_;
    std::vector<Diagnostic> diagnostics_;
    std::unique_ptr<Document> document_;
};

/* Every entry of a mapping in file order, duplicates reported (the first one is kept). Reports a
 * non-mapping value and returns an empty list for it. */
std::vector<Field> mapEntries(Reader &reader, const Field &field);
/* The same into `entries`, cleared first: a loop over many small mappings (a plan's positions)
 * reuses one vector instead of allocating one per mapping. */
void mapEntries(Reader &reader, const Field &field, std::vector<Field> &entries);

/* A mapping with a fixed set of keys: unknown and duplicate keys are reported on construction. */
class MapReader
{
public:
    MapReader(Reader &reader, const Field &field, std::initializer_list<const char *> keys);

    bool isMap() const { return isMap_; }
    /* nullptr when absent. */
    const Field *find(std::string_view key) const;
    /* Reports a missing key at the mapping's position. */
    const Field *require(std::string_view key);

private:
    Reader &reader_;
    Field field_;
    bool isMap_;
    std::vector<Field> entries_;
};

/* The items of a sequence as Fields named "name[i]", each made when it is reached: a plan's list
 * of positions can be hundreds of thousands long, and is read once, in order. */
class SequenceItems
{
public:
    /* Makes each item in one Field of its own, whose name's buffer is reused from item to item:
     * "positions[123456]" is too long for a std::string's own storage, and allocating it anew
     * for each of 440,000 positions showed in the plan loader's profile. */
    class Iterator
    {
    public:
        using value_type = Field;
        using difference_type = std::ptrdiff_t;

        Iterator(const SequenceItems *items, std::size_t index) : items_(items), index_(index) {}
        /* Valid until the iterator moves on. */
        const Field &operator*() const
        {
            items_->fill(index_, current_);
            return current_;
        }
        Iterator &operator++()
        {
            ++index_;
            return *this;
        }
        bool operator==(const Iterator &other) const { return index_ == other.index_; }

    private:
        const SequenceItems *items_;
        std::size_t index_;
        mutable Field current_;
    };

    SequenceItems() = default;
    explicit SequenceItems(const Field &list)
        : name_(list.name), mark_(list.mark()), list_(list.value)
    {
    }

    std::size_t size() const { return list_.isSequence() ? list_.size() : 0; }
    bool empty() const { return size() == 0; }
    Field at(std::size_t index) const;
    /* at(index), written into `field` */
    void fill(std::size_t index, Field &field) const;
    Iterator begin() const { return {this, 0}; }
    Iterator end() const { return {this, size()}; }

private:
    std::string name_;
    Mark mark_;
    Node list_;
};

/* The items of a sequence. Reports a non-sequence (and has no items for it) and, unless allowed,
 * an empty one. */
SequenceItems sequenceEntries(Reader &reader, const Field &field, bool allowEmpty = false);

/* Inclusive bounds; `above` makes the lower bound exclusive (speeds must be > 0). */
struct Range {
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    bool above = false;
};

inline constexpr Range kPositive{0.0, std::numeric_limits<double>::infinity(), true};

/* Scalars. Each returns nullopt after reporting a problem. Numbers must be plain decimal
 * scalars: quoted numbers, hex, octal-looking (010), inf and nan are rejected. */
std::optional<double> readNumber(Reader &reader, const Field &field, const Range &range = {});
std::optional<int64_t> readInteger(Reader &reader, const Field &field, const Range &range = {});
std::optional<bool> readBool(Reader &reader, const Field &field);
/* Valid UTF-8, no control characters, at most kMaxStringLength bytes. */
inline constexpr std::size_t kMaxStringLength = 1024;
std::optional<std::string> readString(Reader &reader, const Field &field);
/* A name used in paths and in "host/camera": letters, digits, '.', '_', '-', at most
 * kMaxNameLength characters. */
inline constexpr std::size_t kMaxNameLength = 64;
std::optional<std::string> readName(Reader &reader, const Field &field);
/* One of `choices`; returns its index. */
std::optional<std::size_t> readChoice(Reader &reader, const Field &field,
                                      std::initializer_list<const char *> choices);

/* " (did you mean 'x'?)" when one of `known` is a likely misspelling of `name` (small edit
 * distance), else "". */
std::string didYouMean(std::string_view name, const std::vector<std::string> &known);
/* "a, b, c" */
std::string joinNames(const std::vector<std::string> &names);

/* Length of the UTF-8 sequence starting at text[i], 0 if it is not valid UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF included). */
std::size_t utf8Length(std::string_view text, std::size_t i);

/* Text from a file made safe for a message: control characters and bytes that are not UTF-8
 * written as \xNN, and anything beyond `max` bytes cut with a note of the full length. */
std::string printable(std::string_view text, std::size_t max = 80);

} // namespace lockstep::config
