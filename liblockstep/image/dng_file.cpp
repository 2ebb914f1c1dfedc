#include "image/dng_file.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <tiffio.h>

#include "image/codecs.h"
#include "image/exif_date_time.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

/* A TIFF "file" in memory, for libtiff's client procedures: a vector that grows as libtiff
 * writes (encoding), or a span it only reads (decoding). Also collects libtiff's error
 * messages, which would otherwise go to stderr, for the RunError. */
struct MemoryTiff {
    std::vector<uint8_t> *out = nullptr;
    std::span<const uint8_t> in;
    uint64_t at = 0;
    std::string errors;

    std::span<const uint8_t> bytes() const { return out != nullptr ? *out : in; }
};

MemoryTiff &memory(thandle_t handle)
{
    return *static_cast<MemoryTiff *>(handle);
}

tmsize_t readProc(thandle_t handle, void *buffer, tmsize_t size)
{
    MemoryTiff &file = memory(handle);
    const std::span<const uint8_t> bytes = file.bytes();
    if (size < 0 || file.at >= bytes.size())
        return 0;
    const size_t n = std::min<size_t>(size_t(size), bytes.size() - file.at);
    std::memcpy(buffer, bytes.data() + file.at, n);
    file.at += n;
    return tmsize_t(n);
}

tmsize_t writeProc(thandle_t handle, void *buffer, tmsize_t size)
{
    MemoryTiff &file = memory(handle);
    if (file.out == nullptr || size < 0)
        return 0;
    const size_t end = file.at + size_t(size);
    if (end > file.out->size())
        file.out->resize(end);
    std::memcpy(file.out->data() + file.at, buffer, size_t(size));
    file.at = end;
    return size;
}

toff_t seekProc(thandle_t handle, toff_t offset, int whence)
{
    MemoryTiff &file = memory(handle);
    int64_t base = 0;
    if (whence == SEEK_CUR)
        base = int64_t(file.at);
    else if (whence == SEEK_END)
        base = int64_t(file.bytes().size());
    /* libtiff passes a negative SEEK_CUR or SEEK_END offset as its two's complement. */
    const int64_t to = base + int64_t(offset);
    if (to < 0)
        return toff_t(-1);
    file.at = uint64_t(to);
    return file.at;
}

int closeProc(thandle_t)
{
    return 0;
}

toff_t sizeProc(thandle_t handle)
{
    return memory(handle).bytes().size();
}

int noMap(thandle_t, void **, toff_t *)
{
    return 0;
}

void noUnmap(thandle_t, void *, toff_t) {}

int collectError(TIFF *, void *userData, const char *module, const char *format, va_list args)
{
    std::string &errors = static_cast<MemoryTiff *>(userData)->errors;
    char message[512];
    std::vsnprintf(message, sizeof message, format, args);
    if (!errors.empty())
        errors += "; ";
    if (module != nullptr && *module != '\0')
        errors += std::string(module) + ": ";
    errors += message;
    return 1; /* handled: libtiff's default handler would print to stderr */
}

int ignoreWarning(TIFF *, void *, const char *, const char *, va_list)
{
    return 1;
}

struct TiffClose {
    void operator()(TIFF *tif) const { TIFFClose(tif); }
};
using TiffPtr = std::unique_ptr<TIFF, TiffClose>;

struct OptionsFree {
    void operator()(TIFFOpenOptions *options) const { TIFFOpenOptionsFree(options); }
};

/* `file` must outlive the TIFF: its handlers write into it. */
TiffPtr openTiff(MemoryTiff &file, const char *mode)
{
    const std::unique_ptr<TIFFOpenOptions, OptionsFree> options(TIFFOpenOptionsAlloc());
    if (!options)
        throw RunError("DNG: out of memory");
    TIFFOpenOptionsSetErrorHandlerExtR(options.get(), collectError, &file);
    TIFFOpenOptionsSetWarningHandlerExtR(options.get(), ignoreWarning, nullptr);
    return TiffPtr(TIFFClientOpenExt("DNG", mode, &file, readProc, writeProc, seekProc, closeProc,
                                     sizeProc, noMap, noUnmap, options.get()));
}

/* The libtiff messages, if any, after a colon. */
std::string because(const MemoryTiff &file)
{
    return file.errors.empty() ? std::string() : ": " + file.errors;
}

constexpr std::array<uint8_t, 4> kDngVersion = {1, 4, 0, 0};
constexpr std::array<uint8_t, 4> kDngBackwardVersion = {1, 1, 0, 0};
constexpr uint16_t kIlluminantD65 = 21;
/* No colour calibration of the sensor is known: its primaries are taken for sRGB's, so
 * ColorMatrix1 (XYZ to camera) is the XYZ (D65) to linear sRGB matrix. */
constexpr std::array<float, 9> kXyzToSrgb = {3.2406F, -1.5372F, -0.4986F, -0.9689F, 1.8758F,
                                             0.0415F, 0.0557F,  -0.2040F, 1.0570F};

void checkRaw(const RawImage &raw)
{
    if (raw.width == 0 || raw.height == 0)
        throw RunError("DNG: the raw image has no pixels");
    if (raw.samples.size() != size_t(raw.width) * raw.height)
        throw RunError("DNG: the raw image has " + std::to_string(raw.samples.size()) +
                       " samples, " + std::to_string(raw.width) + "x" + std::to_string(raw.height) +
                       " needs " + std::to_string(size_t(raw.width) * raw.height));
    if (raw.bitDepth < 1 || raw.bitDepth > 16)
        throw RunError("DNG: bit depth " + std::to_string(raw.bitDepth) + " is not 1-16");
}

/* The EXIF sub-IFD, written before IFD0 (whose EXIFIFD tag needs its offset); libtiff does not
 * link it into the chain of image directories. */
uint64_t writeExifDirectory(TIFF *tif, const MemoryTiff &file, const DngMetadata &meta)
{
    if (TIFFCreateEXIFDirectory(tif) != 0)
        throw RunError("DNG: cannot create the EXIF directory" + because(file));
    const auto [date, micros] = exifDateTime(meta.sensorTimestamp);
    const uint16_t iso = uint16_t(std::lround(std::clamp(meta.gain, 0.0, 655.35) * 100));
    TIFFSetField(tif, EXIFTAG_EXPOSURETIME, double(meta.exposure.count()) / 1e6);
    TIFFSetField(tif, EXIFTAG_ISOSPEEDRATINGS, uint16_t(1), &iso);
    TIFFSetField(tif, EXIFTAG_DATETIMEORIGINAL, date.c_str());
    TIFFSetField(tif, EXIFTAG_SUBSECTIMEORIGINAL, micros.c_str());
    uint64_t offset = 0;
    if (TIFFWriteCustomDirectory(tif, &offset) == 0)
        throw RunError("DNG: cannot write the EXIF directory" + because(file));
    /* Back to an empty directory with the ordinary TIFF tags, for IFD0. */
    TIFFFreeDirectory(tif);
    if (TIFFCreateDirectory(tif) != 0)
        throw RunError("DNG: cannot create IFD0" + because(file));
    return offset;
}

} // namespace

std::vector<uint8_t> encodeDng(const RawImage &raw, const DngMetadata &meta)
{
    checkRaw(raw);
    std::vector<uint8_t> out;
    MemoryTiff file;
    file.out = &out;
    {
        /* "l": little-endian, as every DNG camera writes; closed (flushed) at the block's end. */
        const TiffPtr tif = openTiff(file, "wl");
        if (!tif)
            throw RunError("DNG: libtiff cannot start a file" + because(file));
        TIFF *t = tif.get();
        const uint64_t exifOffset = writeExifDirectory(t, file, meta);

        const uint16_t cfaDim[2] = {2, 2};
        const std::array<uint8_t, 4> cfa = cfaColours(raw.cfa);
        const uint16_t blackDim[2] = {1, 1};
        const float black = raw.blackLevel;
        const uint32_t white = raw.whiteLevel();
        const float neutral[3] = {float(1.0 / meta.redGain), 1.0F, float(1.0 / meta.blueGain)};
        /* Strips of about 64 KiB, as libtiff suggests. */
        const uint32_t rowsPerStrip = std::max(1u, 32768u / raw.width);

        TIFFSetField(t, TIFFTAG_SUBFILETYPE, uint32_t(0));
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, uint32_t(raw.width));
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, uint32_t(raw.height));
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, uint16_t(16));
        TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, uint16_t(1));
        TIFFSetField(t, TIFFTAG_COMPRESSION, uint16_t(COMPRESSION_NONE));
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, uint16_t(PHOTOMETRIC_CFA));
        TIFFSetField(t, TIFFTAG_PLANARCONFIG, uint16_t(PLANARCONFIG_CONTIG));
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rowsPerStrip);
        TIFFSetField(t, TIFFTAG_MAKE, meta.sensorModel.c_str());
        TIFFSetField(t, TIFFTAG_MODEL, meta.camera.c_str());
        TIFFSetField(t, TIFFTAG_UNIQUECAMERAMODEL, meta.camera.c_str());
        TIFFSetField(t, TIFFTAG_SOFTWARE, "lockstep");
        TIFFSetField(t, TIFFTAG_DNGVERSION, kDngVersion.data());
        TIFFSetField(t, TIFFTAG_DNGBACKWARDVERSION, kDngBackwardVersion.data());
        TIFFSetField(t, TIFFTAG_CFAREPEATPATTERNDIM, cfaDim);
        TIFFSetField(t, TIFFTAG_CFAPATTERN, uint16_t(cfa.size()), cfa.data());
        TIFFSetField(t, TIFFTAG_BLACKLEVELREPEATDIM, blackDim);
        TIFFSetField(t, TIFFTAG_BLACKLEVEL, uint16_t(1), &black);
        TIFFSetField(t, TIFFTAG_WHITELEVEL, uint16_t(1), &white);
        TIFFSetField(t, TIFFTAG_ASSHOTNEUTRAL, uint16_t(3), neutral);
        TIFFSetField(t, TIFFTAG_COLORMATRIX1, uint16_t(kXyzToSrgb.size()), kXyzToSrgb.data());
        TIFFSetField(t, TIFFTAG_CALIBRATIONILLUMINANT1, kIlluminantD65);
        TIFFSetField(t, TIFFTAG_EXIFIFD, exifOffset);

        /* libtiff may swap the bytes of the buffer it is given, so each row goes through a
         * copy. */
        std::vector<uint16_t> row(raw.width);
        for (uint32_t y = 0; y < raw.height; ++y) {
            const auto first = raw.samples.begin() + ptrdiff_t(size_t(y) * raw.width);
            std::copy(first, first + raw.width, row.begin());
            if (TIFFWriteScanline(t, row.data(), y, 0) != 1)
                throw RunError("DNG: cannot write row " + std::to_string(y) + because(file));
        }
        if (TIFFWriteDirectory(t) == 0)
            throw RunError("DNG: cannot write IFD0" + because(file));
    }
    if (!file.errors.empty())
        throw RunError("DNG: " + file.errors);
    return out;
}

namespace
{

bool tiffSignature(std::span<const uint8_t> file)
{
    if (file.size() < 8)
        return false;
    const bool intel = file[0] == 'I' && file[1] == 'I';
    const bool motorola = file[0] == 'M' && file[1] == 'M';
    const unsigned magic =
        intel ? unsigned(file[2] | file[3] << 8) : unsigned(file[2] << 8 | file[3]);
    /* 42: classic TIFF, 43: BigTIFF. */
    return (intel || motorola) && (magic == 42 || magic == 43);
}

CfaPattern cfaPattern(const uint8_t *colours)
{
    for (const CfaPattern cfa :
         {CfaPattern::Rggb, CfaPattern::Grbg, CfaPattern::Gbrg, CfaPattern::Bggr}) {
        const std::array<uint8_t, 4> want = cfaColours(cfa);
        if (std::equal(want.begin(), want.end(), colours))
            return cfa;
    }
    throw RunError("DNG: CFAPattern is not a Bayer pattern of red, green and blue");
}

template <typename... Out> void require(TIFF *tif, uint32_t tag, const char *name, Out... out)
{
    if (TIFFGetField(tif, tag, out...) == 0)
        throw RunError(std::string("DNG: missing tag ") + name);
}

std::string asciiTag(TIFF *tif, uint32_t tag)
{
    const char *text = nullptr;
    if (TIFFGetField(tif, tag, &text) == 0 || text == nullptr)
        return {};
    return text;
}

/* The bit depth whose largest value is `white`. */
unsigned bitDepthOf(uint32_t white)
{
    for (unsigned bits = 1; bits <= 16; ++bits)
        if (white == (1u << bits) - 1)
            return bits;
    throw RunError("DNG: WhiteLevel " + std::to_string(white) + " is not 2^n - 1 for n in 1-16");
}

void readMosaic(TIFF *tif, const MemoryTiff &file, RawImage &raw)
{
    uint32_t width = 0, height = 0;
    uint16_t bits = 0, samplesPerPixel = 0, photometric = 0;
    require(tif, TIFFTAG_IMAGEWIDTH, "ImageWidth", &width);
    require(tif, TIFFTAG_IMAGELENGTH, "ImageLength", &height);
    require(tif, TIFFTAG_PHOTOMETRIC, "PhotometricInterpretation", &photometric);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &samplesPerPixel);
    if (photometric != PHOTOMETRIC_CFA)
        throw RunError("DNG: IFD0 is not a CFA (Bayer) image (PhotometricInterpretation " +
                       std::to_string(photometric) + ")");
    if (bits != 16 || samplesPerPixel != 1)
        throw RunError("DNG: the mosaic has " + std::to_string(samplesPerPixel) + " samples of " +
                       std::to_string(bits) + " bits per pixel, not one of 16");
    /* Sizes come from an untrusted header: bounded before the allocation. */
    checkDecodedSize("DNG", width, height);

    uint16_t *cfaDim = nullptr;
    uint16_t cfaCount = 0;
    const uint8_t *cfa = nullptr;
    require(tif, TIFFTAG_CFAREPEATPATTERNDIM, "CFARepeatPatternDim", &cfaDim);
    require(tif, TIFFTAG_CFAPATTERN, "CFAPattern", &cfaCount, &cfa);
    if (cfaDim[0] != 2 || cfaDim[1] != 2 || cfaCount != 4)
        throw RunError("DNG: the CFA pattern is not 2x2");
    raw.cfa = cfaPattern(cfa);

    uint16_t whiteCount = 0;
    const uint32_t *white = nullptr;
    require(tif, TIFFTAG_WHITELEVEL, "WhiteLevel", &whiteCount, &white);
    if (whiteCount < 1)
        throw RunError("DNG: WhiteLevel has no value");
    raw.bitDepth = bitDepthOf(white[0]);
    uint16_t blackCount = 0;
    const float *black = nullptr;
    require(tif, TIFFTAG_BLACKLEVEL, "BlackLevel", &blackCount, &black);
    if (blackCount < 1 || !(black[0] >= 0) || black[0] > 65535)
        throw RunError("DNG: BlackLevel has no usable value");
    raw.blackLevel = uint16_t(std::lround(black[0]));

    /* An uncompressed mosaic must have all its bytes: libtiff would read a short last strip
     * without complaint. */
    uint16_t compression = COMPRESSION_NONE;
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
    if (compression == COMPRESSION_NONE) {
        uint64_t stored = 0;
        for (uint32_t strip = 0; strip < TIFFNumberOfStrips(tif); ++strip)
            stored += TIFFGetStrileByteCount(tif, strip);
        const uint64_t needed = uint64_t(width) * height * 2;
        if (stored < needed)
            throw RunError("DNG: the strips hold " + std::to_string(stored / 2) + " samples, " +
                           std::to_string(width) + "x" + std::to_string(height) + " needs " +
                           std::to_string(needed / 2));
    }

    raw.width = width;
    raw.height = height;
    raw.samples.resize(size_t(width) * height);
    if (TIFFScanlineSize64(tif) != uint64_t(width) * 2)
        throw RunError("DNG: unexpected row size" + because(file));
    for (uint32_t y = 0; y < height; ++y)
        if (TIFFReadScanline(tif, raw.samples.data() + size_t(y) * width, y, 0) != 1)
            throw RunError("DNG: cannot read row " + std::to_string(y) + " of the mosaic" +
                           because(file));
}

void readExif(TIFF *tif, const MemoryTiff &file, DngMetadata &meta)
{
    uint64_t offset = 0;
    require(tif, TIFFTAG_EXIFIFD, "ExifIFD", &offset);
    if (TIFFReadEXIFDirectory(tif, offset) == 0)
        throw RunError("DNG: cannot read the EXIF directory" + because(file));
    float exposure = 0;
    uint16_t isoCount = 0;
    const uint16_t *iso = nullptr;
    require(tif, EXIFTAG_EXPOSURETIME, "ExposureTime", &exposure);
    require(tif, EXIFTAG_ISOSPEEDRATINGS, "ISOSpeedRatings", &isoCount, &iso);
    if (isoCount < 1)
        throw RunError("DNG: ISOSpeedRatings has no value");
    const std::string date = asciiTag(tif, EXIFTAG_DATETIMEORIGINAL);
    const std::string micros = asciiTag(tif, EXIFTAG_SUBSECTIMEORIGINAL);
    if (date.empty())
        throw RunError("DNG: missing tag DateTimeOriginal");
    if (micros.empty())
        throw RunError("DNG: missing tag SubSecTimeOriginal");
    const auto when = parseExifDateTime(date, micros);
    if (!when)
        throw RunError("DNG: DateTimeOriginal \"" + date + "\" with SubSecTimeOriginal \"" +
                       micros + "\" is not a UTC time to the microsecond");
    meta.exposure = Microseconds(std::llround(double(exposure) * 1e6));
    meta.gain = iso[0] / 100.0;
    meta.sensorTimestamp = *when;
}

} // namespace

DngContents readDng(std::span<const uint8_t> bytes)
{
    if (!tiffSignature(bytes))
        throw RunError("DNG: not a TIFF file (no II*/MM* signature)");
    MemoryTiff file;
    file.in = bytes;
    /* "m": no memory mapping, the span is read through readProc. */
    const TiffPtr tif = openTiff(file, "rm");
    if (!tif)
        throw RunError("DNG: not a readable TIFF" + because(file));
    TIFF *t = tif.get();
    const uint8_t *version = nullptr;
    if (TIFFGetField(t, TIFFTAG_DNGVERSION, &version) == 0 || version == nullptr)
        throw RunError("DNG: a TIFF but not a DNG (IFD0 has no DNGVersion tag)");

    DngContents dng;
    readMosaic(t, file, dng.raw);
    DngMetadata &meta = dng.meta;
    meta.sensorModel = asciiTag(t, TIFFTAG_MAKE);
    meta.camera = asciiTag(t, TIFFTAG_UNIQUECAMERAMODEL);
    if (meta.camera.empty())
        meta.camera = asciiTag(t, TIFFTAG_MODEL);
    uint16_t neutralCount = 0;
    const float *neutral = nullptr;
    require(t, TIFFTAG_ASSHOTNEUTRAL, "AsShotNeutral", &neutralCount, &neutral);
    if (neutralCount != 3 || !(neutral[0] > 0) || !(neutral[1] > 0) || !(neutral[2] > 0))
        throw RunError("DNG: AsShotNeutral is not three positive values");
    meta.redGain = double(neutral[1]) / neutral[0];
    meta.blueGain = double(neutral[1]) / neutral[2];
    readExif(t, file, meta);
    return dng;
}

bool isDng(std::span<const uint8_t> bytes)
{
    if (!tiffSignature(bytes))
        return false;
    MemoryTiff file;
    file.in = bytes;
    const TiffPtr tif = openTiff(file, "rm");
    const uint8_t *version = nullptr;
    return tif && TIFFGetField(tif.get(), TIFFTAG_DNGVERSION, &version) != 0 && version != nullptr;
}

} // namespace lockstep
