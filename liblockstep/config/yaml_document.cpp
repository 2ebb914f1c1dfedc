#include "config/yaml_document.h"

#include <array>
#include <new>
#include <unordered_map>
#include <utility>

#include <yaml.h>

#include "config/yaml_reader.h"

namespace lockstep::config
{

namespace
{

Mark markOf(const yaml_mark_t &mark)
{
    return {static_cast<int>(mark.line), static_cast<int>(mark.column)};
}

class Parser
{
public:
    Parser()
    {
        if (!yaml_parser_initialize(&parser_))
            throw std::bad_alloc();
    }
    ~Parser() { yaml_parser_delete(&parser_); }
    Parser(const Parser &) = delete;
    Parser &operator=(const Parser &) = delete;

    yaml_parser_t *get() { return &parser_; }

private:
    yaml_parser_t parser_{};
};

class Event
{
public:
    Event() = default;
    ~Event() { yaml_event_delete(&event_); }
    Event(const Event &) = delete;
    Event &operator=(const Event &) = delete;

    yaml_event_t *get() { return &event_; }

private:
    yaml_event_t event_{};
};

/* libyaml refuses, as a whole, a file with bytes that are not UTF-8 or with control characters;
 * yaml-cpp read them, and the loaders report them at the value that holds them ("contains a
 * control character (\x01)"), which says more. So each refused byte b is passed to libyaml as
 * the private-use character U+10FF00 + b and turned back into b in the scalars read. (A file
 * that really holds one of those 256 characters gets it back as a byte that is refused later.)
 * Returns whether anything was replaced. */
bool substituteRefused(const std::string &text, std::string &out)
{
    const auto refused = [&](std::size_t i, std::size_t n) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (n == 0)
            return true;
        if (n == 1)
            return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
        const auto c1 = static_cast<unsigned char>(text[i + 1]);
        if (n == 2) /* C1 controls but NEL (U+0085) */
            return c == 0xC2 && c1 < 0xA0 && c1 != 0x85;
        /* U+FFFE and U+FFFF */
        return n == 3 && c == 0xEF && c1 == 0xBF && static_cast<unsigned char>(text[i + 2]) >= 0xBE;
    };
    bool any = false;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F) { /* most of a file */
            if (any)
                out += text[i];
            ++i;
            continue;
        }
        const std::size_t n = utf8Length(text, i);
        if (!refused(i, n)) {
            if (any)
                out.append(text, i, n);
            i += n;
            continue;
        }
        if (!any) {
            out.reserve(text.size() + 64);
            out.assign(text, 0, i);
            any = true;
        }
        /* n is 0 for a byte that is not UTF-8: one byte at a time */
        for (const std::size_t end = i + std::max<std::size_t>(n, 1); i < end; ++i) {
            const auto b = static_cast<unsigned char>(text[i]);
            out += '\xF4';
            out += '\x8F';
            out += static_cast<char>(0xBC | (b >> 6));
            out += static_cast<char>(0x80 | (b & 0x3F));
        }
    }
    return any;
}

/* The inverse of substituteRefused, appended to `out`. */
void restoreRefused(std::string_view text, std::string &out)
{
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
        if (c(i) == 0xF4 && i + 3 < text.size() && c(i + 1) == 0x8F && (c(i + 2) & 0xFC) == 0xBC) {
            out += static_cast<char>(((c(i + 2) & 0x03) << 6) | (c(i + 3) & 0x3F));
            i += 3;
        } else {
            out += text[i];
        }
    }
}

/* Line and column (in characters) of a byte offset. */
Mark markAtOffset(const std::string &text, std::size_t offset)
{
    Mark mark;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n')
            ++mark.line, mark.column = 0;
        else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
            ++mark.column;
    }
    return mark;
}

/* libyaml's words for a collection left open, in the words the loaders have always used. */
std::string problemText(const yaml_parser_t &parser)
{
    static const std::array<std::pair<std::string_view, const char *>, 4> kRenamed = {{
        {"did not find expected ',' or ']'", "end of sequence flow not found"},
        {"did not find expected ',' or '}'", "end of map flow not found"},
        {"did not find expected key", "end of map not found"},
        {"did not find expected '-' indicator", "end of sequence not found"},
    }};
    const std::string_view problem = parser.problem ? parser.problem : "syntax error";
    for (const auto &[libyaml, ours] : kRenamed)
        if (problem == libyaml)
            return ours;
    std::string text(problem);
    if (parser.context && parser.error != YAML_READER_ERROR)
        text += std::string(" (") + parser.context + " at line " +
                std::to_string(parser.context_mark.line + 1) + ", column " +
                std::to_string(parser.context_mark.column + 1) + ")";
    return text;
}

} // namespace

/* Turns parser events into a Document's entries. A container's entry is made at its start (so
 * that it comes before its children) and given its children at its end; children wait in
 * pending_ meanwhile, so that every container's children end up side by side in children_. */
class Builder
{
public:
    Builder(Document &document, bool restore) : document_(document), restore_(restore) {}

    /* false after filling `error` */
    bool add(const yaml_event_t &event, ParseError &error);

private:
    struct Open {
        uint32_t index;
        std::size_t pending; /* where its children start in pending_ */
        std::string anchor;
        bool flow;
    };

    uint32_t make(Document::Kind kind, bool plain, const yaml_mark_t &mark, uint32_t first,
                  uint32_t count)
    {
        document_.entries_.push_back({kind, plain, static_cast<uint32_t>(mark.line),
                                      static_cast<uint32_t>(mark.column), first, count});
        return static_cast<uint32_t>(document_.entries_.size() - 1);
    }
    void place(uint32_t index)
    {
        if (open_.empty())
            document_.root_ = index;
        else
            pending_.push_back(index);
    }
    void anchor(const yaml_char_t *name, uint32_t index)
    {
        if (name)
            anchors_[reinterpret_cast<const char *>(name)] = index;
    }
    bool start(const yaml_event_t &event, Document::Kind kind, const yaml_char_t *anchor, bool flow,
               ParseError &error);

    Document &document_;
    bool restore_;
    std::vector<Open> open_;
    std::vector<uint32_t> pending_;
    /* Anchors are known once their node is complete: an alias inside its own anchor's node is
     * refused, so the tree has no cycle. */
    std::unordered_map<std::string, uint32_t> anchors_;
    int flowDepth_ = 0;
};

bool Builder::start(const yaml_event_t &event, Document::Kind kind, const yaml_char_t *anchor,
                    bool flow, ParseError &error)
{
    if (flow && ++flowDepth_ > Document::kMaxFlowDepth) {
        error = {markOf(event.start_mark), "brackets nested deeper than " +
                                               std::to_string(Document::kMaxFlowDepth) +
                                               " levels; a lockstep file needs a handful"};
        return false;
    }
    if (open_.size() >= static_cast<std::size_t>(Document::kMaxDepth)) {
        error = {markOf(event.start_mark), "values nested deeper than " +
                                               std::to_string(Document::kMaxDepth) +
                                               " levels; a lockstep file needs a handful"};
        return false;
    }
    const uint32_t index = make(kind, false, event.start_mark, 0, 0);
    open_.push_back(
        {index, pending_.size(), anchor ? reinterpret_cast<const char *>(anchor) : "", flow});
    return true;
}

bool Builder::add(const yaml_event_t &event, ParseError &error)
{
    using Kind = Document::Kind;
    switch (event.type) {
    case YAML_SCALAR_EVENT: {
        const auto &s = event.data.scalar;
        const std::string_view value(reinterpret_cast<const char *>(s.value), s.length);
        const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE && !s.tag;
        const bool null = plain && (value.empty() || value == "~" || value == "null" ||
                                    value == "Null" || value == "NULL");
        std::string &text = document_.text_;
        const std::size_t first = text.size();
        if (restore_)
            restoreRefused(value, text);
        else
            text.append(value);
        const uint32_t index =
            make(null ? Kind::Null : Kind::Scalar, plain, event.start_mark,
                 static_cast<uint32_t>(first), static_cast<uint32_t>(text.size() - first));
        anchor(s.anchor, index);
        place(index);
        return true;
    }
    case YAML_ALIAS_EVENT: {
        const char *name = reinterpret_cast<const char *>(event.data.alias.anchor);
        const auto it = anchors_.find(name);
        if (it == anchors_.end()) {
            error = {markOf(event.start_mark), "unknown alias '*" + printable(name) +
                                                   "': no anchor '&" + printable(name) +
                                                   "' is complete before it"};
            return false;
        }
        place(make(Kind::Alias, false, event.start_mark, it->second, 0));
        return true;
    }
    case YAML_SEQUENCE_START_EVENT:
        return start(event, Kind::Sequence, event.data.sequence_start.anchor,
                     event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE, error);
    case YAML_MAPPING_START_EVENT:
        return start(event, Kind::Map, event.data.mapping_start.anchor,
                     event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE, error);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        Open open = std::move(open_.back());
        open_.pop_back();
        Document::Entry &entry = document_.entries_[open.index];
        entry.first = static_cast<uint32_t>(document_.children_.size());
        entry.count = static_cast<uint32_t>(pending_.size() - open.pending);
        document_.children_.insert(document_.children_.end(),
                                   pending_.begin() + static_cast<long>(open.pending),
                                   pending_.end());
        pending_.resize(open.pending);
        if (open.flow)
            --flowDepth_;
        if (!open.anchor.empty())
            anchors_[open.anchor] = open.index;
        place(open.index);
        return true;
    }
    default: /* stream and document start and end */
        return true;
    }
}

std::unique_ptr<Document> Document::parse(const std::string &text, ParseError &error,
                                          std::optional<Mark> &second)
{
    std::string substituted;
    const bool restore = substituteRefused(text, substituted);
    const std::string &input = restore ? substituted : text;

    auto document = std::make_unique<Document>();
    /* Reserved at their largest (a node takes two bytes of text at least; scalars are never
     * longer than the text they are read from), so that they never move while they grow: a
     * large reservation is address space only until it is written. */
    document->entries_.reserve(input.size() / 2 + 1);
    document->children_.reserve(input.size() / 2 + 1);
    document->text_.reserve(input.size());
    Parser parser;
    yaml_parser_set_input_string(
        parser.get(), reinterpret_cast<const unsigned char *>(input.data()), input.size());
    Builder builder(*document, restore);
    int documents = 0;
    for (;;) {
        Event event;
        if (!yaml_parser_parse(parser.get(), event.get())) {
            const yaml_parser_t &p = *parser.get();
            const Mark at = p.error == YAML_READER_ERROR ? markAtOffset(input, p.problem_offset)
                                                         : markOf(p.problem_mark);
            error = {at, problemText(p), document->entries_.empty()};
            return nullptr;
        }
        const yaml_event_type_t type = event.get()->type;
        if (type == YAML_STREAM_END_EVENT)
            break;
        if (type == YAML_DOCUMENT_START_EVENT && documents++ == 1) {
            second = markOf(event.get()->start_mark);
            break;
        }
        if (!builder.add(*event.get(), error)) {
            error.atStart = false;
            return nullptr;
        }
    }
    return document;
}

Node Document::root() const
{
    return root_ == Node::kNone ? Node() : node(root_, Node::kNone);
}

Node Document::node(uint32_t index, uint32_t alias) const
{
    const Entry &entry = entries_[index];
    if (entry.kind == Kind::Alias)
        return {this, entry.first, alias == Node::kNone ? index : alias};
    return {this, index, alias};
}

bool Node::isNull() const
{
    return document_ && document_->entries_[index_].kind == Document::Kind::Null;
}

bool Node::isScalar() const
{
    return document_ && document_->entries_[index_].kind == Document::Kind::Scalar;
}

bool Node::isMap() const
{
    return document_ && document_->entries_[index_].kind == Document::Kind::Map;
}

bool Node::isSequence() const
{
    return document_ && document_->entries_[index_].kind == Document::Kind::Sequence;
}

bool Node::isPlain() const
{
    return document_ && document_->entries_[index_].plain;
}

std::string_view Node::scalar() const
{
    if (!isScalar() && !isNull())
        return {};
    const Document::Entry &entry = document_->entries_[index_];
    return std::string_view(document_->text_).substr(entry.first, entry.count);
}

std::size_t Node::size() const
{
    if (!document_)
        return 0;
    const Document::Entry &entry = document_->entries_[index_];
    if (entry.kind == Document::Kind::Map)
        return entry.count / 2;
    return entry.kind == Document::Kind::Sequence ? entry.count : 0;
}

Node Node::item(std::size_t i) const
{
    const Document::Entry &entry = document_->entries_[index_];
    return document_->node(document_->children_[entry.first + i], alias_);
}

Mark Node::mark() const
{
    if (!document_)
        return {};
    const Document::Entry &entry = document_->entries_[alias_ != kNone ? alias_ : index_];
    return {static_cast<int>(entry.line), static_cast<int>(entry.column)};
}

} // namespace lockstep::config
