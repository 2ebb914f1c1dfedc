#include "image/raw_yuv_jpeg.h"

#include <algorithm>
#include <csetjmp>
#include <cstdio> /* jpeglib.h uses FILE and size_t without including their headers */
#include <cstring>
#include <new>
#include <string>

#include <jerror.h>
#include <jpeglib.h>

#include "util/errors.h"

namespace lockstep
{

namespace
{

/* 4:2:0: the luma plane is sampled 2x2 per chroma sample, so a minimum coded unit is 16 luma
 * rows and 8 rows of each chroma plane. */
constexpr unsigned kBlock = DCTSIZE;
constexpr unsigned kLumaRowsPerUnit = 2 * kBlock;
constexpr unsigned kChromaRowsPerUnit = kBlock;

/* The samples libjpeg reads of each row: its plane's width in whole blocks (libjpeg's
 * width_in_blocks * DCTSIZE, with the luma plane at twice the chroma planes' sampling). */
unsigned lumaRowSamples(unsigned width)
{
    return (width + kBlock - 1) / kBlock * kBlock;
}

unsigned chromaRowSamples(unsigned width)
{
    return (width + 2 * kBlock - 1) / (2 * kBlock) * kBlock;
}

/* Sets the samples from `from` to `to` of each of `rows` rows to the row's last sample. */
void replicateRightEdge(uint8_t *plane, size_t stride, unsigned rows, unsigned from, unsigned to)
{
    if (to <= from)
        return;
    for (unsigned row = 0; row < rows; ++row) {
        uint8_t *samples = plane + row * stride;
        std::memset(samples + from, samples[from - 1], to - from);
    }
}

/* libjpeg reports a fatal error by calling error_exit, which must not return: it jumps back to
 * the setjmp in compressRows(). Messages other than fatal ones are not printed. */
struct ErrorManager {
    jpeg_error_mgr pub; /* first: libjpeg sees only this */
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void errorExit(j_common_ptr cinfo)
{
    auto *errors = reinterpret_cast<ErrorManager *>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, errors->message);
    std::longjmp(errors->jump, 1);
}

void ignoreMessage(j_common_ptr) {}

/* The JPEG goes into one buffer kept for every frame, grown when a frame needs more: after the
 * first frames of a scan it is never allocated again. */
struct Destination {
    jpeg_destination_mgr pub; /* first: libjpeg sees only this */
    std::unique_ptr<uint8_t[]> buffer;
    size_t capacity = 0;
    size_t size = 0; /* of the last JPEG */
};

Destination &destinationOf(j_compress_ptr cinfo)
{
    return *reinterpret_cast<Destination *>(cinfo->dest);
}

/* libjpeg writes a byte before it asks for room, so the buffer is never empty: at least half a
 * byte per pixel (a 12 MP frame at quality 90 takes 1 to 6 MB; only the pages written are ever
 * touched), grown by growDestination() for frames that take more. */
void initDestination(j_compress_ptr cinfo)
{
    Destination &out = destinationOf(cinfo);
    const size_t wanted =
        std::max<size_t>(size_t(cinfo->image_width) * cinfo->image_height / 2, 1 << 16);
    if (out.capacity < wanted) {
        out.buffer.reset();
        out.capacity = 0;
        out.buffer.reset(new (std::nothrow) uint8_t[wanted]);
        if (!out.buffer)
            ERREXIT(cinfo, JERR_OUT_OF_MEMORY);
        out.capacity = wanted;
    }
    out.pub.next_output_byte = out.buffer.get();
    out.pub.free_in_buffer = out.capacity;
}

/* Called when the whole buffer is full. */
boolean growDestination(j_compress_ptr cinfo)
{
    Destination &out = destinationOf(cinfo);
    const size_t grown = std::max<size_t>(out.capacity * 2, 1 << 16);
    std::unique_ptr<uint8_t[]> bigger(new (std::nothrow) uint8_t[grown]);
    if (!bigger)
        ERREXIT(cinfo, JERR_OUT_OF_MEMORY);
    if (out.capacity != 0)
        std::memcpy(bigger.get(), out.buffer.get(), out.capacity);
    out.pub.next_output_byte = bigger.get() + out.capacity;
    out.pub.free_in_buffer = grown - out.capacity;
    out.buffer = std::move(bigger);
    out.capacity = grown;
    return TRUE;
}

void termDestination(j_compress_ptr cinfo)
{
    Destination &out = destinationOf(cinfo);
    out.size = out.capacity - out.pub.free_in_buffer;
}

} // namespace

struct RawYuvJpeg::State {
    ErrorManager errors{};
    Destination destination{};
    jpeg_compress_struct cinfo{};

    State()
    {
        cinfo.err = jpeg_std_error(&errors.pub);
        errors.pub.error_exit = errorExit;
        errors.pub.output_message = ignoreMessage;
        if (setjmp(errors.jump) != 0)
            throw RunError(std::string("cannot make a JPEG compressor: ") + errors.message);
        jpeg_create_compress(&cinfo);
        destination.pub.init_destination = initDestination;
        destination.pub.empty_output_buffer = growDestination;
        destination.pub.term_destination = termDestination;
        cinfo.dest = &destination.pub;
    }

    ~State() { jpeg_destroy_compress(&cinfo); }

    State(const State &) = delete;
    State &operator=(const State &) = delete;
};

namespace
{

/* One image through libjpeg, TurboJPEG's settings (setCompDefaults() in turbojpeg.c). Returns
 * false, with the object reset for the next image, if libjpeg failed. Only trivially
 * destructible objects live here: a longjmp must not skip a destructor. */
bool compressRows(jpeg_compress_struct &cinfo, ErrorManager &errors, Yuv420Image &image,
                  int quality)
{
    if (setjmp(errors.jump) != 0) {
        jpeg_abort_compress(&cinfo);
        return false;
    }
    cinfo.image_width = image.width();
    cinfo.image_height = image.height();
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_YCbCr;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    cinfo.dct_method = quality >= 96 ? JDCT_ISLOW : JDCT_FASTEST;
    jpeg_set_colorspace(&cinfo, JCS_YCbCr);
    cinfo.comp_info[0].h_samp_factor = 2;
    cinfo.comp_info[0].v_samp_factor = 2;
    for (int c = 1; c < 3; ++c) {
        cinfo.comp_info[c].h_samp_factor = 1;
        cinfo.comp_info[c].v_samp_factor = 1;
    }
    cinfo.raw_data_in = TRUE;
    jpeg_start_compress(&cinfo, TRUE);

    /* Rows past the bottom of a plane repeat its last row, as TurboJPEG pads them. */
    JSAMPROW y[kLumaRowsPerUnit];
    JSAMPROW cb[kChromaRowsPerUnit];
    JSAMPROW cr[kChromaRowsPerUnit];
    JSAMPARRAY planes[3] = {y, cb, cr};
    const unsigned lastY = image.height() - 1;
    const unsigned lastC = image.chromaHeight() - 1;
    while (cinfo.next_scanline < cinfo.image_height) {
        const unsigned top = cinfo.next_scanline;
        for (unsigned i = 0; i < kLumaRowsPerUnit; ++i)
            y[i] = image.yRow(std::min(top + i, lastY));
        for (unsigned i = 0; i < kChromaRowsPerUnit; ++i) {
            cb[i] = image.cbRow(std::min(top / 2 + i, lastC));
            cr[i] = image.crRow(std::min(top / 2 + i, lastC));
        }
        jpeg_write_raw_data(&cinfo, planes, kLumaRowsPerUnit);
    }
    jpeg_finish_compress(&cinfo);
    return true;
}

} // namespace

RawYuvJpeg::RawYuvJpeg() : state_(std::make_unique<State>()) {}

RawYuvJpeg::~RawYuvJpeg() = default;

bool RawYuvJpeg::fits(const Yuv420Image &image)
{
    return !image.empty() && image.encoding() == kJpegYuv &&
           image.yStride() >= lumaRowSamples(image.width()) &&
           image.cStride() >= chromaRowSamples(image.width());
}

std::span<const uint8_t> RawYuvJpeg::compress(Yuv420Image &image, int quality)
{
    if (!fits(image))
        throw RunError(
            "cannot encode JPEG from the planes as they are: " + std::to_string(image.width()) +
            "x" + std::to_string(image.height()) + " rows need strides of at least " +
            std::to_string(lumaRowSamples(image.width())) + " and " +
            std::to_string(chromaRowSamples(image.width())));
    if (quality < 1 || quality > 100)
        throw RunError("cannot encode JPEG: quality " + std::to_string(quality) +
                       " is outside 1..100");
    replicateRightEdge(image.y(), image.yStride(), image.height(), image.width(),
                       lumaRowSamples(image.width()));
    const unsigned chromaSamples = chromaRowSamples(image.width());
    replicateRightEdge(image.cb(), image.cStride(), image.chromaHeight(), image.chromaWidth(),
                       chromaSamples);
    replicateRightEdge(image.cr(), image.cStride(), image.chromaHeight(), image.chromaWidth(),
                       chromaSamples);
    if (!compressRows(state_->cinfo, state_->errors, image, quality))
        throw RunError(std::string("cannot encode JPEG: ") + state_->errors.message);
    return {state_->destination.buffer.get(), state_->destination.size};
}

} // namespace lockstep
