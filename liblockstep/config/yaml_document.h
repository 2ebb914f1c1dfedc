/* Internal to lockstep_config: one YAML document read with libyaml's event parser into a compact
 * tree of our own (a few dozen bytes per node, scalars in one buffer), with the position of every
 * node. yaml-cpp's node tree costs several hundred bytes and microseconds per scalar, too much
 * for a plan of 440,000 positions (docs/performance.md, "Configuration loading"). */
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::config
{

/* A position in a file, 0-based (diagnostics add 1). The default is the file's start; none()
 * is no position at all (the diagnostic names the file only). Columns count characters. */
struct Mark {
    int line = 0;
    int column = 0;

    static constexpr Mark none() { return {-1, -1}; }
};

class Document;

/* A node of a Document, by value: a pointer and two indices. A node reached through an alias
 * is the anchored node, but is positioned where the alias is, and so is all it contains: a
 * problem is shown where the value was used. Valid as long as its Document. */
class Node
{
public:
    Node() = default; /* no node: what a missing value reads as */

    bool isDefined() const { return document_ != nullptr; }
    /* An empty value, or a plain ~, null, Null or NULL. */
    bool isNull() const;
    /* A scalar that is not null. */
    bool isScalar() const;
    bool isMap() const;
    bool isSequence() const;
    /* Written without quotes and without a tag: only such a scalar can be a number or a bool. */
    bool isPlain() const;
    /* Reached through an alias. */
    bool viaAlias() const { return alias_ != kNone; }
    /* The scalar's text ("" for anything else). */
    std::string_view scalar() const;
    /* Entries of a mapping or items of a sequence, 0 for anything else. */
    std::size_t size() const;
    /* The i-th item of a sequence, or key or value of the i-th entry of a mapping. */
    Node item(std::size_t i) const;
    Node key(std::size_t i) const { return item(2 * i); }
    Node value(std::size_t i) const { return item(2 * i + 1); }
    Mark mark() const;

private:
    friend class Document;
    static constexpr uint32_t kNone = UINT32_MAX;

    Node(const Document *document, uint32_t index, uint32_t alias)
        : document_(document), index_(index), alias_(alias)
    {
    }

    const Document *document_ = nullptr;
    uint32_t index_ = 0;
    uint32_t alias_ = kNone; /* the outermost alias this node was reached through */
};

/* Why a text is not one readable YAML document. */
struct ParseError {
    Mark mark;
    std::string message;
    /* Nothing of the document could be read before the problem. */
    bool atStart = false;
};

class Document
{
public:
    /* Deeper nesting than any lockstep file needs: flow brackets, and all levels together. */
    static constexpr int kMaxFlowDepth = 64;
    static constexpr int kMaxDepth = 256;
    /* Positions are kept in 32 bits. */
    static constexpr std::size_t kMaxSize = std::size_t{1} << 30;

    /* Reads the first document of `text`. On a syntax error, returns nullptr and fills `error`.
     * A second document is not read: its start is put in `second`. */
    static std::unique_ptr<Document> parse(const std::string &text, ParseError &error,
                                           std::optional<Mark> &second);

    /* The document's root; not defined when the text holds no document. */
    Node root() const;

private:
    friend class Node;
    friend class Builder;

    enum class Kind : uint8_t { Null, Scalar, Sequence, Map, Alias };

    struct Entry {
        Kind kind;
        bool plain; /* scalars: no quotes, no tag */
        uint32_t line;
        uint32_t column;
        uint32_t first; /* scalar: offset in text_; container: in children_; alias: target */
        uint32_t count; /* scalar: length; container: children (two per mapping entry) */
    };

    Node node(uint32_t index, uint32_t alias) const;

    std::vector<Entry> entries_;
    std::vector<uint32_t> children_;
    std::string text_;
    uint32_t root_ = Node::kNone;
};

} // namespace lockstep::config
