# images/images.mk - the appliance image and its boot test (images/README.md).
#
#   make image        build/image/: root.img (+ vmlinuz, initrd.img), disk.img,
#                     manifest.txt; Debian packages cached in build/image-cache/
#   make image-test   boot root.img in qemu (TCG) with simulated radios, then
#                     disk.img through OVMF and systemd-boot; the exit status
#                     is the tests'
# Both need root and the host packages of `make deps`.  AVEC_IMAGE_REFRESH=1
# make image only reinstalls AVEC's files into the last root filesystem.
.PHONY: image image-test
image: $(AVECD) $(AVECCTL) $(RLM_AVEC)
	@bash images/build.sh $(BUILD)

image-test:
	@bash images/test.sh $(BUILD)
