// Saves a file streamed from the server (a member's download) under its name.
window.leadRouter = {
    saveFile: async function (name, contentType, streamRef) {
        const buffer = await streamRef.arrayBuffer();
        const url = URL.createObjectURL(new Blob([buffer], { type: contentType }));
        const link = document.createElement("a");
        link.href = url;
        link.download = name;
        document.body.appendChild(link);
        link.click();
        link.remove();
        URL.revokeObjectURL(url);
    }
};

// Tells the server the browser's time zone (times are shown in it); kept for a year, refreshed when it changes.
(function () {
    try {
        const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        if (zone && !document.cookie.split("; ").includes("lr_tz=" + encodeURIComponent(zone)))
            document.cookie = "lr_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
    } catch { /* no Intl: the server's configured zone is used */ }
})();
