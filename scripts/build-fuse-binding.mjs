console.log("fuse binding build: placeholder until patch lands")
