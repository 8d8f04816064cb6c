# SPDX-License-Identifier: Apache-2.0
# Files the AppArmor scenarios need in the container rootfs ($ROOTFS); run
# on the host while tests/vm/mkinitramfs.sh builds the initramfs.
set -e
echo "top secret" > "$ROOTFS/secret.txt"
mkdir -p "$ROOTFS/etc/app/conf.d"
echo a > "$ROOTFS/etc/app/main.conf"
echo b > "$ROOTFS/etc/app/conf.d/extra.conf"
echo d > "$ROOTFS/data/readme"
echo notes > "$ROOTFS/home/user1/notes"
chown 1000:1000 "$ROOTFS/home/user1/notes"
chmod 0666 "$ROOTFS/home/user1/notes"
# A distinct executable for fromSource (busybox runs argv[1] for busybox*).
cp "$ROOTFS/bin/busybox" "$ROOTFS/usr/local/bin/busybox-reader"
cp "${BW_BUILD:?}/tests/bw-sockprobe" "$ROOTFS/bin/sockprobe"
