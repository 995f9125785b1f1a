#!/bin/sh
# Stages the container image's runtime, FROM scratch and without any registry: a Java runtime made
# by jlink from the JDK that runs the build, and the few C libraries it needs, copied from this
# machine (found by ldd). Writes OUT/rootfs/opt/java and OUT/rootfs/lib..., which Jib adds as layers.
#   stage-runtime.sh JAVA_HOME OUT LICENSE NOTICE
set -eu
jdk="$1"
out="$2"
root="$out/rootfs"
rm -rf "$root"
mkdir -p "$root"
# The modules of the Java SE platform (Jetty, H2, Logback, the Azure SDK use parts of it), plus the
# ones a server needs beyond it. --strip-debug etc. keep it near 100 MB.
"$jdk/bin/jlink" --add-modules java.se,jdk.unsupported,jdk.naming.dns,jdk.zipfs,jdk.crypto.cryptoki \
  --strip-debug --no-man-pages --no-header-files --generate-cds-archive --output "$root/opt/java"
# The shared libraries the runtime loads (glibc and friends), at the paths the loader looks at. The
# desktop's native parts (AWT, sound, fonts, images) are never loaded by a headless server: their X11
# and ALSA libraries are left out.
for f in "$root"/opt/java/bin/java "$root"/opt/java/lib/*.so "$root"/opt/java/lib/server/libjvm.so; do
  case "$(basename "$f")" in
    libawt*|libjawt.so|libsplashscreen.so|libjsound.so|libfontmanager.so|liblcms.so|libjavajpeg.so|libmlib_image.so) continue ;;
  esac
  ldd "$f" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'
done | sort -u | while read -r lib; do
  case "$lib" in "$root"/*) continue ;; esac
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
  # Each library's licence goes with it (glibc is LGPL): the copyright file of the Debian package
  # that installed it, where Debian keeps it.
  pkg="$( (dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null) \
    | head -n 1 | cut -d: -f1)"
  if [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ]; then
    mkdir -p "$root/usr/share/doc/$pkg"
    cp "/usr/share/doc/$pkg/copyright" "$root/usr/share/doc/$pkg/copyright"
  fi
done
# The licence files beside the product, and the volumes' mount points (writable by the image's user,
# as Jib makes every file root's).
mkdir -p "$root/opt/opencmg" "$root/var/lib/opencmg" "$root/etc/opencmg"
cp "$3" "$4" "$root/opt/opencmg/"
# A writable /tmp for the JVM; /etc/passwd names the image's user (uid 10001).
mkdir -p "$root/tmp" "$root/etc" "$root/proc"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/:/sbin/nologin\nopencmg:x:10001:10001:OpenCMG:/var/lib/opencmg:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nopencmg:x:10001:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
# Jib wants the module's (here empty) classes folder to exist.
mkdir -p "$out/../classes"
