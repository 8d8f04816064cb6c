# Files the scenarios need inside the container rootfs ($ROOTFS), run on the
# host while the initramfs is built.
set -e
echo "top secret" > "$ROOTFS/secret.txt"
ln -s /secret.txt "$ROOTFS/link-to-secret"
ln "$ROOTFS/secret.txt" "$ROOTFS/data/hardlink-secret"
mkdir -p "$ROOTFS/etc/app/conf.d" "$ROOTFS/data/logs/2026/11"
echo a > "$ROOTFS/etc/app/main.conf"
echo b > "$ROOTFS/etc/app/conf.d/extra.conf"
echo c > "$ROOTFS/data/logs/2026/11/app.log"
echo d > "$ROOTFS/data/readme"
echo notes > "$ROOTFS/home/user1/notes"
chown 1000:1000 "$ROOTFS/home/user1/notes"
chmod 0644 "$ROOTFS/home/user1/notes"
# Copies of busybox under other names: fromSource needs distinct executables
# (applets are all /bin/busybox).  busybox runs argv[1] for names busybox*.
cp "$ROOTFS/bin/busybox" "$ROOTFS/usr/local/bin/busybox-reader"
cp "$ROOTFS/bin/busybox" "$ROOTFS/opt/tools/busybox-tool"
ln "$ROOTFS/usr/local/bin/busybox-reader" "$ROOTFS/opt/tools/busybox-hardlink"
# A deep directory chain (more than the 128 components the hooks resolve).
d="$ROOTFS/deep"
for i in $(seq 1 140); do d="$d/d"; done
mkdir -p "$d"
echo deep > "$d/file"
