#include "report/report_page.h"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <map>
#include <sstream>

#include "config/plan.h"
#include "config/rig.h"
#include "report/contact_sheet.h"
#include "report/markup_escape.h"
#include "report/skew_chart.h"
#include "report/svg_chart.h"
#include "scan/manifest.h"
#include "scan/plan_queries.h"
#include "scan/scan_layout.h"
#include "scan/verifier.h"
#include "util/atomic_file.h"

namespace lockstep
{

namespace
{

constexpr unsigned kThumbWidth = 192;

struct ScanData {
    RigConfig rig;
    ScanPlan plan;
    ManifestContents manifest;
    std::vector<std::string> cameras; /* "host/camera", column order */
};

ScanData loadScan(const ScanLayout &layout)
{
    ScanData data;
    data.rig = loadRig(layout.rigCopy());
    data.plan = loadPlan(layout.planCopy(), data.rig);
    data.manifest = readManifest(layout.manifest());
    for (const NodeConfig &node : data.rig.nodes)
        for (const CameraConfig *camera : scanCameras(data.plan, node))
            data.cameras.push_back(node.hostname + "/" + camera->name);
    return data;
}

/* "3: turntable 90°, slider 12.5 mm": a position and where the plan sends each motor. */
std::string positionLabel(const ScanData &data, unsigned k)
{
    std::ostringstream label;
    label << k << ":";
    const char *separator = " ";
    for (const auto &[motor, target] : commandedAt(data.plan, k)) {
        const MotorConfig *m = data.rig.findMotor(motor);
        label << separator << motor << " " << target
              << (m != nullptr && m->units == Units::Millimetres ? " mm" : "\u00b0");
        separator = ", ";
    }
    return label.str();
}

std::string contactSheet(const ScanLayout &layout, const ScanData &data)
{
    std::map<std::pair<unsigned, std::string>, std::string> files;
    /* A frame's JPEG or PNG when it has one: its DNG only for a raw-only scan (decoded
     * whole, and shown with no white balance). */
    const bool rawOnly =
        std::all_of(data.plan.capture.formats.begin(), data.plan.capture.formats.end(),
                    [](ImageFormat f) { return f == ImageFormat::Dng; });
    for (const FrameRecord &f : data.manifest.frames)
        if (f.frame == 0 && rawOnly == (formatOfFile(f.file) == ImageFormat::Dng))
            files[{f.position, f.node + "/" + f.camera}] = layout.file(f.file);
    std::vector<std::vector<std::string>> grid;
    for (unsigned k = 0; k < data.plan.positions.size(); ++k) {
        std::vector<std::string> row;
        for (const std::string &camera : data.cameras) {
            const auto it = files.find({k, camera});
            row.push_back(it == files.end() ? std::string() : it->second);
        }
        grid.push_back(std::move(row));
    }
    const Image sheet = makeContactSheet(grid, kThumbWidth);
    const std::vector<uint8_t> jpeg = encodeJpeg(sheet, 85);
    writeFileAtomic(layout.reportDir() + "/contact-sheet.jpg", jpeg);
    std::vector<std::string> rows;
    for (unsigned k = 0; k < data.plan.positions.size(); ++k)
        rows.push_back(positionLabel(data, k));
    writeFileAtomic(layout.reportDir() + "/contact-sheet.svg",
                    labelledContactSheet(jpeg, sheet.width, sheet.height, rows, data.cameras));
    return "contact-sheet.svg";
}

std::string writeSkewChart(const ScanLayout &layout, const ScanData &data,
                           const VerifyResult &verify)
{
    const BarChart chart = skewChart(verify.skew, data.plan.positions.size());
    writeFileAtomic(layout.reportDir() + "/skew.svg", chart.toSvg());
    return "skew.svg";
}

std::string timingChart(const ScanLayout &layout, const ScanData &data)
{
    const size_t n = data.plan.positions.size();
    ChartSeries move{"move", "#d9822b", std::vector<double>(n)};
    ChartSeries settle{"settle", "#8e6cc0", std::vector<double>(n)};
    ChartSeries capture{"capture", "#3b6fb6", std::vector<double>(n)};
    ChartSeries write{"encode + write (slowest frame)", "#4a9a5b", std::vector<double>(n)};
    for (const PositionRecord &p : data.manifest.positions) {
        if (p.position >= n)
            continue;
        for (const auto &[node, t] : p.timings) {
            move.values[p.position] = std::max(move.values[p.position], t.moveMs);
            settle.values[p.position] = std::max(settle.values[p.position], t.settleMs);
            capture.values[p.position] = std::max(capture.values[p.position], t.captureMs);
        }
    }
    for (const FrameRecord &f : data.manifest.frames)
        if (f.position < n)
            write.values[f.position] = std::max(write.values[f.position], f.encodeMs + f.writeMs);
    BarChart chart;
    chart.title = "Time per position (slowest node)";
    chart.yLabel = "milliseconds";
    for (size_t k = 0; k < n; ++k)
        chart.categories.push_back(std::to_string(k));
    chart.series = {move, settle, capture, write};
    writeFileAtomic(layout.reportDir() + "/timing.svg", chart.toSvg());
    return "timing.svg";
}

/* Lock error: each frame's start minus its grid instant, as every camera measured it while
 * streaming (not only the frames kept). */
std::string lockChart(const ScanLayout &layout, const ScanData &data)
{
    const size_t n = data.plan.positions.size();
    ChartSeries worst{"worst camera, largest |error|", "#b23b3b", std::vector<double>(n)};
    ChartSeries mean{"mean |error| over cameras", "#3b6fb6", std::vector<double>(n)};
    for (const PositionRecord &p : data.manifest.positions) {
        if (p.position >= n || p.lock.empty())
            continue;
        for (const auto &[camera, figures] : p.lock) {
            worst.values[p.position] = std::max(worst.values[p.position], figures.maxUs);
            mean.values[p.position] += figures.meanUs / double(p.lock.size());
        }
    }
    BarChart chart;
    chart.title = "Lock to the frame grid per position (frame start minus grid instant)";
    chart.yLabel = "microseconds";
    for (size_t k = 0; k < n; ++k)
        chart.categories.push_back(std::to_string(k));
    chart.series = {worst, mean};
    writeFileAtomic(layout.reportDir() + "/lock.svg", chart.toSvg());
    return "lock.svg";
}

/* Per camera over the whole scan: frames measured, the largest error, the control latency. */
void lockTable(std::ostream &page, const ScanData &data)
{
    std::map<std::string, LockFigures> cameras;
    for (const PositionRecord &p : data.manifest.positions)
        for (const auto &[camera, figures] : p.lock) {
            LockFigures &all = cameras[camera];
            all.meanUs = (all.meanUs * all.frames + figures.meanUs * figures.frames) /
                         std::max(1u, all.frames + figures.frames);
            all.frames += figures.frames;
            all.maxUs = std::max(all.maxUs, figures.maxUs);
            all.latencyFrames = std::max(all.latencyFrames, figures.latencyFrames);
        }
    if (cameras.empty())
        return;
    page << "<table><tr><th>camera</th><th>frames</th><th>lock error max</th><th>mean</th>"
         << "<th>control latency (measured)</th></tr>\n";
    for (const auto &[camera, f] : cameras)
        page << "<tr><td>" << escapeMarkup(camera) << "</td><td>" << f.frames << "</td><td>"
             << std::fixed << std::setprecision(1) << f.maxUs << " &micro;s</td><td>" << f.meanUs
             << " &micro;s</td><td>"
             << (f.latencyFrames ? std::to_string(f.latencyFrames) + " frames" : "not measured")
             << "</td></tr>\n";
    page << "</table>\n";
}

std::string html(const ScanData &data, const VerifyResult &verify, const std::string &sheet,
                 const std::string &skew, const std::string &timing, const std::string &lock)
{
    std::ostringstream page;
    page << "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>lockstep scan "
         << escapeMarkup(data.plan.name)
         << "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
         << "td,th{padding:2px 10px;text-align:left}.ok{color:#2a7a2a}.fail{color:#b22}"
         << "img{max-width:100%;border:1px solid #ccc}</style></head><body>\n";
    page << "<h1>Scan " << escapeMarkup(data.plan.name) << "</h1>\n";
    page << "<p>" << data.plan.positions.size() << " positions &times; " << data.cameras.size()
         << " cameras &times; " << data.plan.framesPerPosition << " frame(s); "
         << data.manifest.frames.size() << " frames recorded. Verification: "
         << (verify.ok() ? "<b class=\"ok\">OK</b>" : "<b class=\"fail\">FAILED</b>") << "</p>\n";
    page << "<table><tr><th>capture skew p50</th><td>" << long(verify.skew.p50Us)
         << " &micro;s</td></tr><tr><th>capture skew p99</th><td>" << long(verify.skew.p99Us)
         << " &micro;s</td></tr><tr><th>capture skew max</th><td>" << long(verify.skew.maxUs)
         << " &micro;s</td></tr><tr><th>angles read from pixels</th><td>" << verify.anglesChecked
         << " (worst error " << std::fixed << std::setprecision(2) << verify.worstAngleErrorDeg
         << "&deg;)</td></tr></table>\n";
    if (!verify.ok()) {
        page << "<h2 class=\"fail\">Problems</h2><ul>\n";
        for (const std::string &p : verify.problems)
            page << "<li>" << escapeMarkup(p) << "</li>\n";
        page << "</ul>\n";
    }
    page << "<h2>Contact sheet</h2><p>Positions top to bottom, cameras left to right "
            "(the same picture unlabelled: contact-sheet.jpg).</p>\n<img src=\""
         << sheet << "\" alt=\"contact sheet\">\n";
    page << "<h2>Capture skew</h2>\n<img src=\"" << skew << "\" alt=\"skew per position\">\n";
    page << "<h2>Lock to the frame grid</h2>\n<img src=\"" << lock
         << "\" alt=\"lock error per position\">\n";
    lockTable(page, data);
    page << "<h2>Timing</h2>\n<img src=\"" << timing << "\" alt=\"time per position\">\n";
    page << "</body></html>\n";
    return page.str();
}

} // namespace

std::string writeReport(const std::string &scanRoot)
{
    const ScanLayout layout(scanRoot);
    const ScanData data = loadScan(layout);
    const VerifyResult verify = verifyScan(scanRoot, VerifyOptions{});
    makeDirectories(layout.reportDir());
    const std::string sheet = contactSheet(layout, data);
    const std::string skew = writeSkewChart(layout, data, verify);
    const std::string timing = timingChart(layout, data);
    const std::string lock = lockChart(layout, data);
    std::string index = layout.reportDir() + "/index.html";
    writeFileAtomic(index, html(data, verify, sheet, skew, timing, lock));
    return index;
}

} // namespace lockstep
